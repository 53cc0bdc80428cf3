/*
 * context.h: the responder's context, what every endpoint gets with each
 * request: the configuration, this process's database handle, the PBKDF2
 * engine, and what this process has already warned about.  One per
 * process (a FastCGI worker, or the one CGI request); server/ fills it.
 */
#ifndef AR_CONTEXT_H
#define AR_CONTEXT_H

#include <time.h>

#include "base/metrics.h"
#include "conf/config.h"
#include "db/db.h"
#include "password/pbkdf2.h"

struct responder_ctx {
	const struct config	*cfg;
	struct db		*db;
	enum pbkdf2_engine	 engine;	/* after the start-up self-test */
	/* The missing-client-address warning, given at most once a minute
	 * per process and endpoint (each endpoint's limit is a different
	 * one): when it was last given (CLOCK_MONOTONIC seconds; 0: never),
	 * and how many requests went unlogged since. */
	time_t			 warned_no_client[ME_COUNT];
	unsigned long		 unlogged_no_client[ME_COUNT];
	/* The last health check's database round trip (health.c): when it
	 * ended (CLOCK_MONOTONIC; tv_sec 0: none yet) and how. */
	struct timespec		 health_at;
	int			 health_ok;
	/* One request per process (CGI): attempts are counted before the
	 * code is looked up, for an exact limit (db_attempt_reserve). */
	int			 reserve_attempts;
};

#endif
