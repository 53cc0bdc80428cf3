/*
 * reset.h: one reset request (POST /api/v2/account/reset/), from the
 * untrusted bytes to the answer.
 */
#ifndef AR_RESET_H
#define AR_RESET_H

#include <stddef.h>

#include "api/context.h"
#include "api/request.h"
#include "base/io.h"
#include "base/outcome.h"

struct reset_request {
	char	*validation_code;	/* NUL-terminated copies, wiped on free */
	size_t	 validation_code_len;
	char	*password;
	size_t	 password_len;
};

/* Reads the request from src (request.h): one JSON object whose members
 * validation_code and password are strings of valid UTF-8; other members
 * are ignored.  Fills req (free with reset_free) or returns the refusal. */
enum api_error reset_take(const struct request_source *src,
    struct reset_request *req, struct outcome *why);

/* Wipes and frees what req holds; safe on a zeroed or freed request. */
void reset_free(struct reset_request *req);

/* Handles one request on io: checks it, resets the password, answers,
 * and logs one line.  Returns the HTTP status it answered. */
int reset_handle(struct responder_ctx *ctx, const struct io *io);

#endif
