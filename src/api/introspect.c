/*
 * introspect.c: token introspection (see introspect.h).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/endpoint.h"
#include "api/introspect.h"
#include "api/oauth.h"
#include "api/response.h"
#include "base/log.h"
#include "db/db_tokens.h"

/* The grant of token (an access token first, unless the hint says
 * refresh_token; RFC 7662 2.1: a wrong hint must not hide the token).
 * DB_OK, DB_NOT_FOUND or a failure. */
static enum db_result
lookup(struct responder_ctx *ctx, const char *digest, int refresh_first,
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

struct introspection {
	int			 active;
	const struct db_grant	*g;
};

static int
write_introspection(const struct io *io, const void *arg,
    const struct config *cfg)
{
	const struct introspection	*a = arg;

	(void)cfg;
	return respond_introspection(io, a->active, a->g->user_id,
	    a->g->client_id, a->g->scope, a->g->expires);
}

int
introspect_handle(struct responder_ctx *ctx, const struct io *io)
{
	struct endpoint				 ep;
	struct db_grant				 g;
	struct introspection			 answer = { 0, &g };
	const struct introspection_client	*caller;
	char					 token[OAUTH_TOKEN_MAX + 1];
	char					 hint[32];
	char					 digest[SHA256_HEX_CHARS + 1];
	struct form_field			 fields[] = {
		{ "token", token, sizeof(token), 0, 0 },
		{ "token_type_hint", hint, sizeof(hint), 0, 0 },
	};
	unsigned long long			 window_start = 0;
	enum db_result				 rc;

	memset(&g, 0, sizeof(g));
	endpoint_open(&ep, ctx, io, ME_INTROSPECT);
	if (oauth_read_form(io, ctx->cfg->max_body_bytes, fields, 2,
	    &ep.why) != API_OK)
		goto answer;
	if (oauth_attempt_check(&ep, &window_start) != API_OK)
		goto answer;
	caller = oauth_basic_client(io, &ctx->cfg->introspection_clients);
	if (caller == NULL) {
		oauth_attempt_failed(&ep, window_start);
		ep.why.error = API_INVALID_CLIENT;
		goto answer;
	}
	if (oauth_token_digest(&ep, &fields[0], token, digest) != API_OK)
		goto answer;
	rc = lookup(ctx, digest, strcmp(hint, "refresh_token") == 0, &g);
	if (rc == DB_OK)
		answer.active = 1;
	else if (rc != DB_NOT_FOUND)
		ep.why.error = endpoint_db_refusal(&ep, rc, API_SERVER_ERROR,
		    "introspection");
answer:
	form_wipe(fields, 2);
	return endpoint_finish(&ep, 200, write_introspection, &answer, 0);
}
