/*
 * context.h: the responder's context, what every endpoint gets with each
 * request: the configuration, this process's database handle, the PBKDF2
 * engine, and what this process has already warned about.  One per
 * process (a FastCGI worker, or the one CGI request); server/ fills it.
 */
#ifndef AR_CONTEXT_H
#define AR_CONTEXT_H

#include "base/metrics.h"
#include "conf/config.h"
#include "db/db.h"
#include "password/pbkdf2.h"

struct responder_ctx {
	const struct config	*cfg;
	struct db		*db;
	enum pbkdf2_engine	 engine;	/* after the start-up self-test */
	/* The missing-client-address warning, given once per process and
	 * endpoint (each endpoint's limit is a different one). */
	int			 warned_no_client[ME_COUNT];
};

#endif
