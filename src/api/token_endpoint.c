/*
 * token_endpoint.c: the refresh grant (see token_endpoint.h).  Cheapest
 * first: the form, the grant type, the attempt count, one SHA-256 and the
 * random new pair, then the one transaction (db_refresh).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/endpoint.h"
#include "api/oauth.h"
#include "api/response.h"
#include "api/token_endpoint.h"
#include "base/log.h"
#include "db/db_tokens.h"

struct refresh_form {
	char	grant_type[32];
	char	refresh_token[OAUTH_TOKEN_MAX + 1];
	char	client_id[CONFIG_STR_MAX];
};

/* Everything between the request and the answer: API_OK with token (and
 * r's client id and scope) filled, or the refusal in why. */
static enum api_error
refresh(struct endpoint *ep, struct db_refresh *r, struct issued_token *token)
{
	struct responder_ctx	*ctx = ep->ctx;
	struct outcome		*why = &ep->why;
	const char		*request_id = ep->id;
	struct refresh_form	f;
	struct form_field	fields[] = {
		{ "grant_type", f.grant_type, sizeof(f.grant_type), 0, 0 },
		{ "refresh_token", f.refresh_token, sizeof(f.refresh_token), 0, 0 },
		{ "client_id", f.client_id, sizeof(f.client_id), 0, 0 },
	};
	unsigned long long	window_start = 0;
	enum db_result		rc;
	enum api_error		e;

	/* A value longer than its buffer (a refresh token longer than
	 * OAUTH_TOKEN_MAX) is refused as invalid_request here. */
	if ((e = oauth_read_form(ep->io, ctx->cfg->max_body_bytes, fields, 3,
	    why)) != API_OK)
		return e;
	if (!fields[0].seen || f.grant_type[0] == '\0') {
		why->detail = "The parameter grant_type is missing.";
		e = why->error = API_INVALID_REQUEST;
	} else if (strcmp(f.grant_type, "refresh_token") != 0)
		e = why->error = API_UNSUPPORTED_GRANT_TYPE;
	else if (!fields[1].seen || fields[1].len == 0) {
		why->detail = "The parameter refresh_token is missing.";
		e = why->error = API_INVALID_REQUEST;
	} else
		e = oauth_attempt_check(ep, &window_start);
	if (e != API_OK)
		goto out;

	memset(r, 0, sizeof(*r));
	sha256_hex(f.refresh_token, fields[1].len, r->refresh_sha256);
	if (random_base64url(TOKEN_BYTES, token->access_token) == -1 ||
	    random_base64url(TOKEN_BYTES, token->refresh_token) == -1) {
		log_msg("request id=%s RAND_bytes failed", request_id);
		e = why->error = API_SERVER_ERROR;
		goto out;
	}
	sha256_hex(token->access_token, TOKEN_CHARS, r->new_access_sha256);
	sha256_hex(token->refresh_token, TOKEN_CHARS, r->new_refresh_sha256);
	r->client_id = fields[2].seen ? f.client_id : NULL;
	rc = db_refresh(ctx->db, r);
	endpoint_note_reruns(ep, "refresh");
	if (rc != DB_OK) {
		e = why->error = endpoint_db_refusal(ep, rc, API_SERVER_ERROR,
		    "refresh");
		goto out;
	}
	if (r->outcome == DB_REFRESHED) {
		token->expires_in = ctx->cfg->access_token_lifetime;
		token->client_id = r->client_id_out;
		token->scope = r->scope;
		e = API_OK;
		goto out;
	}
	if (r->outcome == DB_REFRESH_REUSED)
		/* RFC 9700 4.14.2: the token was stolen, or its holder's copy
		 * was; every token of the family ends. */
		log_msg("request id=%s refresh token reuse: user %llu's token "
		    "family %llu is revoked", request_id, r->user_id,
		    r->family_id);
	oauth_attempt_failed(ep, window_start);
	e = why->error = API_INVALID_GRANT;
out:
	OPENSSL_cleanse(&f, sizeof(f));
	return e;
}

static int
write_token(const struct io *io, const void *arg, const struct config *cfg)
{
	return respond_token(io, arg, cfg);
}

int
token_endpoint_handle(struct responder_ctx *ctx, const struct io *io)
{
	struct issued_token	token;
	struct db_refresh	r;
	struct endpoint		ep;
	int			status;

	memset(&token, 0, sizeof(token));
	memset(&r, 0, sizeof(r));
	endpoint_open(&ep, ctx, io, ME_TOKEN);
	refresh(&ep, &r, &token);
	status = endpoint_finish(&ep, 200, write_token, &token, 0);
	OPENSSL_cleanse(&token, sizeof(token));
	OPENSSL_cleanse(&r, sizeof(r));
	return status;
}
