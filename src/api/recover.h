/*
 * recover.h: one recover request (POST /api/v2/account/recover/), from the
 * untrusted bytes to the answer.  Every syntactically valid request gets
 * the same answer and costs the same work: one INSERT into mail_queue,
 * no user lookup.  account-reset-mailer does the rest.
 */
#ifndef AR_RECOVER_H
#define AR_RECOVER_H

#include <stddef.h>

#include "base/io.h"
#include "base/locale.h"
#include "base/outcome.h"
#include "api/context.h"
#include "api/request.h"

#define RECOVER_LOCALE_MAX	LOCALE_TAG_MAX

struct recover_request {
	char	*email;		/* NUL-terminated copies, wiped on free */
	size_t	 email_len;
	char	*locale;	/* NULL when absent; lower-cased */
	size_t	 locale_len;
};

/* Reads the request from src (request.h): a JSON object with the string
 * member email (an address email.h accepts, else API_INVALID_EMAIL) and
 * the optional string member locale (locale_tag_valid, else
 * API_INVALID_REQUEST).  Other members are ignored.  Fills req (free
 * with recover_free) or returns the refusal. */
enum api_error recover_take(const struct request_source *src,
    struct recover_request *req, struct outcome *why);

/* Wipes and frees what req holds; safe on a zeroed or freed request. */
void recover_free(struct recover_request *req);

/* Handles one request on io: checks it, queues it, answers (202, or the
 * refusal), and logs one line.  Returns the HTTP status it answered. */
int recover_handle(struct responder_ctx *ctx, const struct io *io);

#endif
