/*
 * log.h: the log, on stderr (the web server's error log for CGI and for
 * FastCGI processes it starts; the journal under systemd).  One line per
 * request and one per event.  Nothing secret is ever passed here: callers
 * hand over statuses, error codes and ids, never request data.
 */
#ifndef AR_LOG_H
#define AR_LOG_H

#include <stddef.h>

#define LOG_REQUEST_ID_MAX	64

/* Names the program in every line ("account-reset[pid]"). */
void log_init(const char *progname);

/* One event line. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One request line: id, method (an HTTP token, else "?"), client key
 * ("-" when none), status, error code ("-" for none), duration. */
void log_request(const char *request_id, const char *method,
    const char *client, int status, const char *error, double duration_ms);

/* Sends the log to path from now on (appended, created 0640): the file
 * replaces standard error, so children inherit it.  "" or NULL keeps
 * standard error.  0, or -1 with the path and the reason in err. */
int log_open_file(const char *path, char *err, size_t errlen);

/* A request id: the web server's (X-Request-Id / REQUEST_ID) when it is
 * 1..64 characters of [A-Za-z0-9._-], else 16 random hex digits. */
void log_request_id(const char *offered, char out[LOG_REQUEST_ID_MAX + 1]);

#endif
