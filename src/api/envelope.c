/*
 * envelope.c: the request envelope (see envelope.h).
 */
#include "ac-config.h"

#include "api/envelope.h"
#include "api/response.h"
#include "base/metrics.h"

/* At most one line a minute for requests without a client key: an
 * attacker who can cause them must not be able to flood the log. */
#define UNKEYED_LOG_INTERVAL	60

/* A request no client key could be found for runs without any limit
 * per client (it fails open): count it, and say so in the log, with how
 * many went unlogged since the last line. */
static void
note_unkeyed(const char *request_id)
{
	static time_t		last;
	static unsigned long	unlogged;
	struct timespec		now;

	metrics_client_unkeyed();
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last != 0 && now.tv_sec - last < UNKEYED_LOG_INTERVAL) {
		unlogged++;
		return;
	}
	log_msg("request id=%s has no client key (no usable REMOTE_ADDR, or "
	    "an unusable last hop from a trusted proxy): no per-client limit "
	    "applies to it (%lu more since the last such line)", request_id,
	    unlogged);
	last = now.tv_sec == 0 ? 1 : now.tv_sec;
	unlogged = 0;
}

void
envelope_open(struct envelope *e, const struct io *io,
    const struct config *cfg)
{
	const char	*offered;

	clock_gettime(CLOCK_MONOTONIC, &e->start);
	offered = io->param(io->ctx, "HTTP_X_REQUEST_ID");
	if (offered == NULL)
		offered = io->param(io->ctx, "REQUEST_ID");
	log_request_id(offered, e->id);
	if (client_key(io->param(io->ctx, "REMOTE_ADDR"),
	    io->param(io->ctx, cfg->proxy_header), &cfg->trusted_proxies,
	    e->client) == -1) {
		e->client[0] = '\0';
		note_unkeyed(e->id);
	}
}

double
envelope_ms_since(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

void
envelope_close(const struct envelope *e, const struct io *io, int status,
    enum api_error error, int wrote)
{
	if (wrote == -1)
		log_msg("request id=%s could not write the answer", e->id);
	log_request(e->id, io->param(io->ctx, "REQUEST_METHOD"), e->client,
	    status, error == API_OK ? NULL : api_error_code(error),
	    envelope_ms_since(&e->start));
}
