/*
 * health.c: the health endpoint (see health.h).
 */
#include "ac-config.h"

#include <string.h>

#include "db/db.h"
#include "api/envelope.h"
#include "api/health.h"
#include "base/log.h"
#include "base/metrics.h"
#include "api/response.h"

int
health_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct outcome	 why = { .error = API_OK };
	struct envelope	 env;
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	enum db_result	 rc;
	int		 status, wrote;

	envelope_open(&env, io, ctx->cfg);
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		why.error = API_GET_ONLY;
	else {
		rc = db_ping(ctx->db);
		if (rc != DB_OK) {
			log_msg("request id=%s health: database: %s", env.id,
			    db_last_error(ctx->db));
			metrics_db_error(1);
			why.error = API_UNAVAILABLE;
		}
	}
	if (why.error == API_OK) {
		status = 200;
		wrote = respond_health(io);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	/* A 200 writes no line, so that polling does not fill the log. */
	if (status != 200 || wrote == -1)
		envelope_close(&env, io, status, why.error, wrote);
	return status;
}
