/*
 * authcheck.c: the access-token check (see authcheck.h).  It is on the
 * path of every protected request, so it does the least it can: the
 * header's syntax, one SHA-256, one lookup by a unique index, and a 200
 * with no body and no log line (the web server's access log has it).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/authcheck.h"
#include "api/envelope.h"
#include "api/oauth.h"
#include "api/response.h"
#include "base/log.h"
#include "db/db_tokens.h"

static int
check(struct reset_ctx *ctx, const struct io *io, int authorizer)
{
	struct outcome	 why = { .error = API_OK };
	struct envelope	 env;
	struct db_grant	 g;
	char		 token[OAUTH_TOKEN_MAX + 1];
	char		 digest[SHA256_HEX_CHARS + 1];
	size_t		 len;
	enum db_result	 rc;
	int		 status, wrote = 0;

	memset(&g, 0, sizeof(g));
	envelope_open(&env, io, ctx->cfg);
	switch (oauth_bearer(io, token, &len)) {
	case -1:
		why.error = API_TOKEN_MISSING;
		break;
	case -2:
		why.error = API_INVALID_TOKEN;
		why.detail = "The Authorization header is not a Bearer token.";
		break;
	default:
		sha256_hex(token, len, digest);
		OPENSSL_cleanse(token, sizeof(token));
		rc = db_access_grant(ctx->db, digest, &g);
		if (rc == DB_NOT_FOUND)
			why.error = API_INVALID_TOKEN;
		else if (rc != DB_OK)
			why.error = oauth_db_refusal(ctx, rc, "token check",
			    env.id);
		break;
	}
	if (why.error == API_OK) {
		status = 200;
		wrote = respond_authorized(io, g.user_id, g.client_id, g.scope,
		    authorizer);
		if (wrote == -2) {
			log_msg("request id=%s token check: the client_id or "
			    "scope of user %llu cannot go into a header",
			    env.id, g.user_id);
			why.error = API_SERVER_ERROR;
		}
	}
	if (why.error != API_OK) {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	if (status != 200 || wrote == -1)
		envelope_close(&env, io, status, why.error, wrote);
	return status;
}

int
authcheck_handle(struct reset_ctx *ctx, const struct io *io)
{
	return check(ctx, io, 0);
}

int
authcheck_authorize(struct reset_ctx *ctx, const struct io *io)
{
	return check(ctx, io, 1);
}
