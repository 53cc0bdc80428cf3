/*
 * introspect.c: token introspection (see introspect.h).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/envelope.h"
#include "api/introspect.h"
#include "api/oauth.h"
#include "api/response.h"
#include "base/log.h"
#include "db/db_tokens.h"

/* The grant of token (an access token first, unless the hint says
 * refresh_token; RFC 7662 2.1: a wrong hint must not hide the token).
 * DB_OK, DB_NOT_FOUND or a failure. */
static enum db_result
lookup(struct reset_ctx *ctx, const char *digest, int refresh_first,
    struct db_grant *g)
{
	enum db_result	rc;

	rc = refresh_first ? db_refresh_grant(ctx->db, digest, g) :
	    db_access_grant(ctx->db, digest, g);
	if (rc != DB_NOT_FOUND)
		return rc;
	return refresh_first ? db_access_grant(ctx->db, digest, g) :
	    db_refresh_grant(ctx->db, digest, g);
}

int
introspect_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct outcome				 why = { .error = API_OK };
	struct envelope				 env;
	struct db_grant				 g;
	const struct introspection_client	*caller;
	char					 token[OAUTH_TOKEN_MAX + 1];
	char					 hint[32];
	char					 digest[SHA256_HEX_CHARS + 1];
	struct form_field			 fields[] = {
		{ "token", token, sizeof(token), 0, 0 },
		{ "token_type_hint", hint, sizeof(hint), 0, 0 },
	};
	unsigned long long			 window_start = 0;
	enum db_result				 rc = DB_NOT_FOUND;
	int					 status, wrote;

	memset(&g, 0, sizeof(g));
	envelope_open(&env, io, ctx->cfg);
	if (oauth_read_form(io, ctx->cfg->max_body_bytes, fields, 2, &why) !=
	    API_OK)
		goto answer;
	if (oauth_attempt_check(ctx, env.client, &window_start, &why,
	    env.id) != API_OK)
		goto answer;
	caller = oauth_basic_client(io, &ctx->cfg->introspection_clients);
	if (caller == NULL) {
		oauth_attempt_failed(ctx, env.client, window_start, env.id);
		why.error = API_INVALID_CLIENT;
		goto answer;
	}
	if (!fields[0].seen || fields[0].len == 0) {
		why.error = API_INVALID_REQUEST;
		why.detail = "The parameter token is missing.";
		goto answer;
	}
	sha256_hex(token, fields[0].len, digest);
	rc = lookup(ctx, digest, strcmp(hint, "refresh_token") == 0, &g);
	if (rc != DB_OK && rc != DB_NOT_FOUND)
		why.error = oauth_db_refusal(ctx, rc, "introspection", env.id);
answer:
	form_wipe(fields, 2);
	if (why.error == API_OK) {
		status = 200;
		wrote = respond_introspection(io, rc == DB_OK, g.user_id,
		    g.client_id, g.scope, g.expires);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	envelope_close(&env, io, status, why.error, wrote);
	return status;
}
