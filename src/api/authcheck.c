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
#include "api/endpoint.h"
#include "api/oauth.h"
#include "api/response.h"
#include "base/log.h"
#include "db/db_tokens.h"

struct grant_answer {
	const struct db_grant	*g;
	int			 authorizer;
};

static int
write_grant(const struct io *io, const void *arg, const struct config *cfg)
{
	const struct grant_answer	*a = arg;

	(void)cfg;
	return respond_authorized(io, a->g->user_id, a->g->client_id,
	    a->g->scope, a->authorizer);
}

static int
check(struct responder_ctx *ctx, const struct io *io, int authorizer)
{
	struct endpoint		ep;
	struct db_grant		g;
	struct grant_answer	answer = { &g, authorizer };
	char			token[OAUTH_TOKEN_MAX + 1];
	char			digest[SHA256_HEX_CHARS + 1];
	size_t			len;
	enum db_result		rc;

	memset(&g, 0, sizeof(g));
	endpoint_open(&ep, ctx, io, ME_AUTH_CHECK);
	switch (oauth_bearer(io, token, &len)) {
	case -1:
		ep.why.error = API_TOKEN_MISSING;
		break;
	case -2:
		ep.why.error = API_INVALID_TOKEN;
		ep.why.detail = "The Authorization header is not a Bearer token.";
		break;
	default:
		sha256_hex(token, len, digest);
		OPENSSL_cleanse(token, sizeof(token));
		rc = db_access_grant(ctx->db, digest, &g);
		if (rc != DB_OK)
			ep.why.error = endpoint_db_refusal(&ep, rc,
			    API_INVALID_TOKEN, "token check");
		else if (!respond_header_safe(g.client_id) ||
		    !respond_header_safe(g.scope)) {
			log_msg("request id=%s token check: the client_id or "
			    "scope of user %llu cannot go into a header",
			    ep.id, g.user_id);
			ep.why.error = API_SERVER_ERROR;
		}
		break;
	}
	return endpoint_finish(&ep, 200, write_grant, &answer,
	    ENDPOINT_QUIET_OK);
}

int
authcheck_handle(struct responder_ctx *ctx, const struct io *io)
{
	return check(ctx, io, 0);
}

int
authcheck_authorize(struct responder_ctx *ctx, const struct io *io)
{
	return check(ctx, io, 1);
}
