/*
 * revoke.c: token revocation (see revoke.h).
 */
#include "ac-config.h"

#include <string.h>

#include "api/endpoint.h"
#include "api/oauth.h"
#include "api/response.h"
#include "api/revoke.h"
#include "base/log.h"
#include "db/db_tokens.h"

static int
write_revoked(const struct io *io, const void *arg, const struct config *cfg)
{
	(void)arg;
	(void)cfg;
	return respond_revoked(io);
}

int
revoke_handle(struct responder_ctx *ctx, const struct io *io)
{
	struct endpoint		ep;
	char			token[OAUTH_TOKEN_MAX + 1];
	char			hint[32];
	char			digest[SHA256_HEX_CHARS + 1];
	struct form_field	fields[] = {
		{ "token", token, sizeof(token), 0, 0 },
		{ "token_type_hint", hint, sizeof(hint), 0, 0 },
	};
	enum db_result		rc;
	int			found = 0;

	endpoint_open(&ep, ctx, io, ME_REVOKE);
	if (oauth_read_form(io, ctx->cfg->max_body_bytes, fields, 2,
	    &ep.why) != API_OK)
		goto answer;
	if (oauth_token_digest(&ep, &fields[0], token, digest) != API_OK)
		goto answer;
	rc = db_revoke_token(ctx->db, digest, &found);
	endpoint_note_reruns(&ep, "revocation");
	if (rc != DB_OK)
		ep.why.error = endpoint_db_refusal(&ep, rc, API_SERVER_ERROR,
		    "revocation");
	else if (found)
		log_msg("request id=%s a token was revoked by its client",
		    ep.id);
answer:
	form_wipe(fields, 2);
	return endpoint_finish(&ep, 200, write_revoked, NULL, 0);
}
