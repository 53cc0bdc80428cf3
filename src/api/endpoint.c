/*
 * endpoint.c: the endpoint skeleton (see endpoint.h).
 */
#include "ac-config.h"

#include <string.h>

#include "api/endpoint.h"
#include "api/response.h"
#include "base/metrics.h"

/* At most one line a minute per endpoint for requests without a client
 * key: whoever can cause them must not be able to flood the log. */
#define NO_CLIENT_LOG_INTERVAL	60

void
endpoint_open(struct endpoint *ep, struct responder_ctx *ctx,
    const struct io *io, enum metrics_endpoint metric)
{
	const struct config	*cfg = ctx->cfg;
	const char		*offered;

	memset(ep, 0, sizeof(*ep));
	ep->ctx = ctx;
	ep->io = io;
	ep->metric = metric;
	ep->why.error = API_OK;
	clock_gettime(CLOCK_MONOTONIC, &ep->start);
	offered = io->param(io->ctx, "HTTP_X_REQUEST_ID");
	if (offered == NULL)
		offered = io->param(io->ctx, "REQUEST_ID");
	log_request_id(offered, ep->id);
	if (client_key(io->param(io->ctx, "REMOTE_ADDR"),
	    io->param(io->ctx, cfg->proxy_header), &cfg->trusted_proxies,
	    ep->client) == -1)
		ep->client[0] = '\0';
}

double
endpoint_ms_since(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

enum api_error
endpoint_db_refusal(struct endpoint *ep, enum db_result rc,
    enum api_error not_found, const char *what)
{
	if (rc == DB_NOT_FOUND)
		return not_found;
	metrics_db_error(rc == DB_UNAVAILABLE);
	log_msg("request id=%s %s%sdatabase: %s", ep->id,
	    what != NULL ? what : "", what != NULL ? ": " : "",
	    db_last_error(ep->ctx->db));
	return rc == DB_UNAVAILABLE ? API_UNAVAILABLE : API_SERVER_ERROR;
}

void
endpoint_note_reruns(struct endpoint *ep, const char *what)
{
	const char	*why;
	int		 n;

	if ((n = db_reruns(ep->ctx->db, &why)) > 0)
		log_msg("request id=%s %s rerun %d time%s; the last after: %s",
		    ep->id, what, n, n == 1 ? "" : "s", why);
}

void
endpoint_warn_no_client(struct endpoint *ep, int limit_on, const char *limit)
{
	time_t		*warned = &ep->ctx->warned_no_client[ep->metric];
	unsigned long	*unlogged = &ep->ctx->unlogged_no_client[ep->metric];
	struct timespec	 now;

	if (!limit_on || ep->client[0] != '\0')
		return;
	metrics_client_unkeyed();
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (*warned != 0 && now.tv_sec - *warned < NO_CLIENT_LOG_INTERVAL) {
		(*unlogged)++;
		return;
	}
	log_msg("request id=%s no client address (REMOTE_ADDR is not an "
	    "address and no trusted proxy named a usable one): %s; see "
	    "trusted_proxies (%lu such requests unlogged since the last "
	    "line)", ep->id, limit, *unlogged);
	*warned = now.tv_sec > 0 ? now.tv_sec : 1;
	*unlogged = 0;
}

int
endpoint_finish(struct endpoint *ep, int ok_status, endpoint_writer write_ok,
    const void *arg, unsigned flags)
{
	const struct io	*io = ep->io;
	enum api_error	 error = ep->why.error;
	int		 status, wrote;
	double		 ms;

	if (error == API_OK) {
		status = ok_status;
		wrote = write_ok != NULL ? write_ok(io, arg, ep->ctx->cfg) :
		    respond_json(io, ok_status, arg);
	} else {
		status = api_error_status(error);
		wrote = respond_error(io, &ep->why, ep->ctx->cfg->retry_after);
	}
	ms = endpoint_ms_since(&ep->start);
	if (wrote == -1)
		log_msg("request id=%s could not write the answer", ep->id);
	if (error != API_OK || wrote == -1 || !(flags & ENDPOINT_QUIET_OK))
		log_request(ep->id, io->param(io->ctx, "REQUEST_METHOD"),
		    ep->client, status, error == API_OK ? NULL :
		    api_error_code(error), ms);
	metrics_request(ep->metric, status, ms / 1e3);
	return status;
}
