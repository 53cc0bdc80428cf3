/*
 * webhook.h: telling the site (webhook_url) of an event, the way the
 * Standard Webhooks specification says: a POST of JSON with the headers
 * webhook-id (the outbox row: the same on every attempt, for the
 * receiver to deduplicate by), webhook-timestamp (Unix seconds of this
 * attempt) and webhook-signature "v1,<base64 HMAC-SHA256>" of
 * "id.timestamp.body" under the secret of webhook_secret_file
 * ("whsec_<base64>", a file its group and others may not read).  HTTPS
 * with the certificate verified (against webhook_ca_file, or the system's
 * CAs); plain HTTP only to loopback (config.c).
 * The only code that talks HTTP to the site; libcurl.
 */
#ifndef AR_WEBHOOK_H
#define AR_WEBHOOK_H

#include <stddef.h>

#include "conf/config.h"

#define WEBHOOK_KEY_MAX		64	/* bytes of the decoded secret */
#define WEBHOOK_SIGNATURE_MAX	64	/* "v1," and 44 base64 characters */

struct webhook;

/* The handle for cfg's webhook_url, with the secret read (before
 * privileges are dropped); NULL with what is wrong in err. */
struct webhook *webhook_new(const struct config *cfg, char *err,
    size_t errlen);
void webhook_free(struct webhook *w);

/* Decodes "whsec_<base64>" (surrounding white space ignored) into key;
 * the key's length, or -1 when it is not such a secret (or too long). */
long webhook_parse_secret(const char *text, unsigned char *key,
    size_t keylen);

/* "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" into out
 * (WEBHOOK_SIGNATURE_MAX + 1).  0, or -1. */
int webhook_sign(const unsigned char *key, size_t keylen, const char *id,
    long long timestamp, const char *body, size_t bodylen, char *out);

enum webhook_outcome {
	WEBHOOK_DELIVERED,	/* a 2xx answer */
	WEBHOOK_FAILED,		/* anything else: try again later */
};

/* POSTs body with id's headers.  *status gets the HTTP status (0: none);
 * detail a short account of a failure (never the body or the secret). */
enum webhook_outcome webhook_post(struct webhook *w, const char *id,
    const char *body, long *status, char *detail, size_t detaillen);

#endif
