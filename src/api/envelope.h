/*
 * envelope.h: what every endpoint does around its own work: the request
 * id (the web server's, or a fresh one), the client key, the clock, and
 * at the end the one request line of the log.
 */
#ifndef AR_ENVELOPE_H
#define AR_ENVELOPE_H

#include <time.h>

#include "base/client.h"
#include "conf/config.h"
#include "base/io.h"
#include "base/log.h"
#include "base/outcome.h"

struct envelope {
	struct timespec	start;				/* CLOCK_MONOTONIC */
	char		id[LOG_REQUEST_ID_MAX + 1];
	char		client[CLIENT_KEY_MAX];		/* "" when none */
};

/* Starts a request: its id (X-Request-Id or REQUEST_ID when usable) and
 * its client key (client.h; "" when no address can be told). */
void envelope_open(struct envelope *e, const struct io *io,
    const struct config *cfg);

/* Milliseconds since *start (CLOCK_MONOTONIC). */
double envelope_ms_since(const struct timespec *start);

/* Ends it: logs a failed write of the answer (wrote -1) and the request
 * line with the method, the client key, the status and error's code. */
void envelope_close(const struct envelope *e, const struct io *io,
    int status, enum api_error error, int wrote);

#endif
