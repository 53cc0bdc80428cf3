/*
 * health.h: GET /api/v2/account/health, for load balancers and monitors:
 * 200 when this worker reaches the database, 503 when it does not.  One
 * round trip, no request body, nothing secret read or written.
 */
#ifndef AR_HEALTH_H
#define AR_HEALTH_H

#include "base/io.h"
#include "api/context.h"

/* Answers the health request on io; returns the HTTP status.  Logs a
 * line only for an answer other than 200, so that a balancer polling
 * every second does not fill the log. */
int health_handle(struct responder_ctx *ctx, const struct io *io);

#endif
