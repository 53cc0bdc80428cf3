/*
 * reset.h: one reset request, from the untrusted bytes to the answer.
 */
#ifndef AR_RESET_H
#define AR_RESET_H

#include "conf/config.h"
#include "db/db.h"
#include "base/io.h"

struct reset_ctx {
	const struct config	*cfg;
	struct db		*db;
	enum pbkdf2_engine	 engine;	/* after the start-up self-test */
	int			 warned_no_client;
};

/* Handles one request on io: checks it, resets the password, answers,
 * and logs one line.  Returns the HTTP status it answered. */
int reset_handle(struct reset_ctx *ctx, const struct io *io);

#endif
