/*
 * revoke.c: token revocation (see revoke.h).
 */
#include "ac-config.h"

#include <string.h>

#include "api/envelope.h"
#include "api/oauth.h"
#include "api/response.h"
#include "api/revoke.h"
#include "base/log.h"
#include "db/db_tokens.h"

int
revoke_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct outcome		why = { .error = API_OK };
	struct envelope		env;
	char			token[OAUTH_TOKEN_MAX + 1];
	char			hint[32];
	char			digest[SHA256_HEX_CHARS + 1];
	struct form_field	fields[] = {
		{ "token", token, sizeof(token), 0, 0 },
		{ "token_type_hint", hint, sizeof(hint), 0, 0 },
	};
	enum db_result		rc;
	int			status, wrote, found = 0;

	envelope_open(&env, io, ctx->cfg);
	if (oauth_read_form(io, ctx->cfg->max_body_bytes, fields, 2, &why) !=
	    API_OK)
		goto answer;
	if (!fields[0].seen || fields[0].len == 0) {
		why.error = API_INVALID_REQUEST;
		why.detail = "The parameter token is missing.";
		goto answer;
	}
	sha256_hex(token, fields[0].len, digest);
	rc = db_revoke_token(ctx->db, digest, &found);
	if (rc != DB_OK)
		why.error = oauth_db_refusal(ctx, rc, "revocation", env.id);
	else if (found)
		log_msg("request id=%s a token was revoked by its client",
		    env.id);
answer:
	form_wipe(fields, 2);
	if (why.error == API_OK) {
		status = 200;
		wrote = respond_revoked(io);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	envelope_close(&env, io, status, why.error, wrote);
	return status;
}
