/*
 * health.c: the health endpoint (see health.h).
 */
#include "ac-config.h"

#include <string.h>
#include <time.h>

#include "client.h"
#include "db.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "response.h"

static double
elapsed_ms(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

int
health_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct outcome	 why = { .error = API_OK };
	struct timespec	 start;
	char		 request_id[LOG_REQUEST_ID_MAX + 1];
	char		 client[CLIENT_KEY_MAX];
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	const char	*offered;
	enum db_result	 rc;
	int		 status, wrote;

	clock_gettime(CLOCK_MONOTONIC, &start);
	offered = io->param(io->ctx, "HTTP_X_REQUEST_ID");
	if (offered == NULL)
		offered = io->param(io->ctx, "REQUEST_ID");
	log_request_id(offered, request_id);
	if (client_key(io->param(io->ctx, "REMOTE_ADDR"),
	    io->param(io->ctx, ctx->cfg->proxy_header),
	    &ctx->cfg->trusted_proxies, client) == -1)
		client[0] = '\0';

	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		why.error = API_GET_ONLY;
	else {
		rc = db_ping(ctx->db);
		if (rc != DB_OK) {
			log_msg("request id=%s health: database: %s", request_id,
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
	if (wrote == -1)
		log_msg("request id=%s could not write the answer", request_id);
	if (status != 200)
		log_request(request_id, method, client, status,
		    api_error_code(why.error), elapsed_ms(&start));
	return status;
}
