/*
 * endpoint.h: the one skeleton of every endpoint.  An endpoint opens the
 * request (its id: the web server's, or a fresh one; the client key; the
 * clock), does its own work, maps a database failure through the one
 * refusal path, and ends with endpoint_finish: the answer, the request
 * line of the log, and the request's metrics.
 *
 *	struct endpoint	ep;
 *
 *	endpoint_open(&ep, ctx, io, ME_X);
 *	... work; on a database failure:
 *	    ep.why.error = endpoint_db_refusal(&ep, rc, API_..., NULL);
 *	return endpoint_finish(&ep, 200, write_ok, arg, 0);
 */
#ifndef AR_ENDPOINT_H
#define AR_ENDPOINT_H

#include <time.h>

#include "api/context.h"
#include "base/client.h"
#include "base/io.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/outcome.h"
#include "db/db.h"

/* One request in flight. */
struct endpoint {
	struct responder_ctx	*ctx;
	const struct io		*io;
	enum metrics_endpoint	 metric;	/* counted under this name */
	struct timespec		 start;		/* CLOCK_MONOTONIC */
	char			 id[LOG_REQUEST_ID_MAX + 1];
	char			 client[CLIENT_KEY_MAX];	/* "" when none */
	struct outcome		 why;		/* API_OK until refused */
};

/* Starts a request: its id (X-Request-Id or REQUEST_ID when usable) and
 * its client key (client.h; "" when no address can be told). */
void endpoint_open(struct endpoint *ep, struct responder_ctx *ctx,
    const struct io *io, enum metrics_endpoint metric);

/* Milliseconds since *start (CLOCK_MONOTONIC). */
double endpoint_ms_since(const struct timespec *start);

/* The one database-refusal path: DB_NOT_FOUND is the endpoint's own
 * answer (not_found); any other failure is counted (metrics_db_error),
 * logged with the request id ("request id=ID [WHAT: ]database: ERROR",
 * what may be NULL) and answered 503 (the database cannot be reached) or
 * 500. */
enum api_error endpoint_db_refusal(struct endpoint *ep, enum db_result rc,
    enum api_error not_found, const char *what);

/* Logs that the last database call was run again (reconnects, moves to
 * another host, deadlocks, lock waits, certification failures), how many
 * times and why, under what (the call) and the request id. */
void endpoint_note_reruns(struct endpoint *ep, const char *what);

/* When the request has no client key but a per-client limit is on:
 * counts it (metrics_client_unkeyed) and logs, at most once a minute per
 * process and endpoint, that limit ("attempt limits do not apply") does
 * not apply, so that the operator can fix trusted_proxies.
 * A client whose address cannot be told is not limited: counting all of
 * them under one key would let one attacker lock everyone out. */
void endpoint_warn_no_client(struct endpoint *ep, int limit_on,
    const char *limit);

/* Writes the endpoint's successful answer; returns what respond_* does
 * (0, or -1 when it could not be written). */
typedef int (*endpoint_writer)(const struct io *io, const void *arg,
    const struct config *cfg);

/* Flags of endpoint_finish. */
#define ENDPOINT_QUIET_OK	0x1	/* no log line for a success answered */

/*
 * Ends the request: a success (ep->why.error == API_OK) is answered
 * ok_status by write_ok(io, arg, cfg), or, when write_ok is NULL, with
 * arg as its fixed JSON body (respond_json); a refusal with its error.
 * Then the request line of the log (with the method, the client key, the
 * status and the error's code; a failed write is logged too) and the
 * request's metrics.  Returns the status answered.
 */
int endpoint_finish(struct endpoint *ep, int ok_status,
    endpoint_writer write_ok, const void *arg, unsigned flags);

#endif
