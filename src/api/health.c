/*
 * health.c: the health endpoint (see health.h).
 */
#include "ac-config.h"

#include <string.h>

#include "api/endpoint.h"
#include "api/health.h"
#include "api/response.h"
#include "db/db.h"

int
health_handle(struct responder_ctx *ctx, const struct io *io)
{
	struct endpoint	 ep;
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");

	endpoint_open(&ep, ctx, io, ME_HEALTH);
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		ep.why.error = API_GET_ONLY;
	else if (db_ping(ctx->db) != DB_OK)
		/* Whatever failed, this worker cannot serve: 503. */
		ep.why.error = endpoint_db_refusal(&ep, DB_UNAVAILABLE,
		    API_UNAVAILABLE, "health");
	/* A 200 writes no line, so that polling does not fill the log. */
	return endpoint_finish(&ep, 200, NULL, RESPONSE_HEALTHY,
	    ENDPOINT_QUIET_OK);
}
