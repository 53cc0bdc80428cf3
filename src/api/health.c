/*
 * health.c: the health endpoint (see health.h).
 */
#include "ac-config.h"

#include <string.h>
#include <time.h>

#include "api/endpoint.h"
#include "api/health.h"
#include "api/response.h"
#include "base/metrics.h"
#include "db/db.h"

/* How long a worker answers health checks from its last round trip to
 * the database: a flood of checks costs the database at most one round
 * trip a second per worker (issue 19, "Also"), and a database that goes
 * or comes back is seen within a second. */
#define HEALTH_REUSE_MS	1000

/* Whether this worker reaches the database, from a recent round trip or
 * a new one. */
static int
database_reached(struct responder_ctx *ctx)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - ctx->health_at.tv_sec) * 1000 +
	    (now.tv_nsec - ctx->health_at.tv_nsec) / 1000000;
	if (ctx->health_at.tv_sec != 0 && ms >= 0 && ms < HEALTH_REUSE_MS)
		return ctx->health_ok;
	metrics_health_db_check();
	ctx->health_ok = db_ping(ctx->db) == DB_OK;
	clock_gettime(CLOCK_MONOTONIC, &ctx->health_at);
	return ctx->health_ok;
}

int
health_handle(struct responder_ctx *ctx, const struct io *io)
{
	struct endpoint	 ep;
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");

	endpoint_open(&ep, ctx, io, ME_HEALTH);
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		ep.why.error = API_GET_ONLY;
	else if (!database_reached(ctx))
		/* Whatever failed, this worker cannot serve: 503. */
		ep.why.error = endpoint_db_refusal(&ep, DB_UNAVAILABLE,
		    API_UNAVAILABLE, "health");
	/* A 200 writes no line, so that polling does not fill the log. */
	return endpoint_finish(&ep, 200, NULL, RESPONSE_HEALTHY,
	    ENDPOINT_QUIET_OK);
}
