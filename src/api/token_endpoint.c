/*
 * token_endpoint.c: the refresh grant (see token_endpoint.h).  Cheapest
 * first: the form, the grant type, the attempt count, one SHA-256 and the
 * random new pair, then the one transaction (db_refresh).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/envelope.h"
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
refresh(struct reset_ctx *ctx, const struct io *io, const char *client,
    struct db_refresh *r, struct issued_token *token, struct outcome *why,
    const char *request_id)
{
	struct refresh_form	f;
	struct form_field	fields[] = {
		{ "grant_type", f.grant_type, sizeof(f.grant_type), 0, 0 },
		{ "refresh_token", f.refresh_token, sizeof(f.refresh_token), 0, 0 },
		{ "client_id", f.client_id, sizeof(f.client_id), 0, 0 },
	};
	unsigned long long	window_start = 0;
	const char		*rerun_why;
	enum db_result		rc;
	int			reruns;
	enum api_error		e;

	/* A value longer than its buffer (a refresh token longer than
	 * OAUTH_TOKEN_MAX) is refused as invalid_request here. */
	if ((e = oauth_read_form(io, ctx->cfg->max_body_bytes, fields, 3,
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
		e = oauth_attempt_check(ctx, client, &window_start, why,
		    request_id);
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
	if ((reruns = db_reruns(ctx->db, &rerun_why)) > 0)
		log_msg("request id=%s refresh rerun %d time%s; the last after: %s",
		    request_id, reruns, reruns == 1 ? "" : "s", rerun_why);
	if (rc != DB_OK) {
		e = why->error = oauth_db_refusal(ctx, rc, "refresh", request_id);
		goto out;
	}
	switch (r->outcome) {
	case DB_REFRESHED:
		token->expires_in = ctx->cfg->access_token_lifetime;
		token->client_id = r->client_id_out;
		token->scope = r->scope;
		e = API_OK;
		break;
	case DB_REFRESH_REUSED:
		/* RFC 9700 4.14.2: the token was stolen, or its holder's copy
		 * was; every token of the family ends. */
		log_msg("request id=%s refresh token reuse: user %llu's token "
		    "family %llu is revoked", request_id, r->user_id,
		    r->family_id);
		/* FALLTHROUGH */
	default:
		oauth_attempt_failed(ctx, client, window_start, request_id);
		e = why->error = API_INVALID_GRANT;
		break;
	}
out:
	OPENSSL_cleanse(&f, sizeof(f));
	return e;
}

int
token_endpoint_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct outcome		why = { .error = API_OK };
	struct issued_token	token;
	struct db_refresh	r;
	struct envelope		env;
	int			status, wrote;

	memset(&token, 0, sizeof(token));
	memset(&r, 0, sizeof(r));
	envelope_open(&env, io, ctx->cfg);
	if (refresh(ctx, io, env.client, &r, &token, &why, env.id) == API_OK) {
		status = 200;
		wrote = respond_token(io, &token, ctx->cfg);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	OPENSSL_cleanse(&token, sizeof(token));
	OPENSSL_cleanse(&r, sizeof(r));
	envelope_close(&env, io, status, why.error, wrote);
	return status;
}
