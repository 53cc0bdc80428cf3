/*
 * smtp.h: one message to one recipient over SMTP, through libcurl.  The
 * only code that talks SMTP (and the only code linked with libcurl).
 *
 * smtp_url is smtp://HOST[:PORT] (STARTTLS, required unless
 * smtp_require_tls is off, which is allowed only for a relay on
 * loopback and means plain text, or STARTTLS when offered if
 * smtp_ca_file names a CA) or smtps://HOST[:PORT] (TLS from the first
 * byte).  Peers are
 * verified against smtp_ca_file, or the system's store.  Credentials, if
 * any, come from smtp_credentials_file ("user = NAME" and "password =
 * SECRET" lines), which must be a regular file that neither its group
 * nor others can read.  Our own code checks the sender and the
 * recipient (email_valid) whatever libcurl would do with them.
 */
#ifndef AR_SMTP_H
#define AR_SMTP_H

#include <stddef.h>

#include "conf/config.h"

struct smtp;

/* Checks the SMTP settings of cfg, reads the credentials, and makes the
 * handle.  NULL with what is wrong (naming the key) in err. */
struct smtp *smtp_new(const struct config *cfg, char *err, size_t errlen);

/* Wipes the credentials and frees everything; NULL is fine. */
void smtp_free(struct smtp *s);

enum smtp_outcome {
	SMTP_SENT = 0,		/* the relay took it (250 after DATA) */
	SMTP_TRANSIENT,		/* 4xx, no connection, TLS or AUTH trouble: retry */
	SMTP_PERMANENT,		/* 5xx: give up */
	SMTP_TLS_FAILED,	/* TLS not set up (not offered, handshake,
				 * certificate): retried like a transient
				 * failure, *status 0 */
};

/* Sends msg (len bytes, CRLF lines) to rcpt.  *status gets the last SMTP
 * reply code (0 when there was none) and err a line for the log, which
 * holds neither the message nor the addresses. */
enum smtp_outcome smtp_send(struct smtp *s, const char *rcpt,
    const char *msg, size_t len, long *status, char *err, size_t errlen);

/* How long the last smtp_send spent opening a connection (connect,
 * greeting, EHLO, STARTTLS, AUTH), in µs; 0 when it reused one. */
long smtp_setup_us(const struct smtp *s);

/* Resolves the relay's host name once, so that the resolver's modules
 * (NSS) are loaded before the process enters its sandbox. */
void smtp_prepare(const struct smtp *s);

/* 1 when the host of an smtp:// or smtps:// URL is on loopback
 * (localhost, 127.0.0.0/8, ::1), else 0; -1 when url is not such a URL. */
int smtp_url_is_loopback(const char *url);

#endif
