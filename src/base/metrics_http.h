/*
 * metrics_http.h: a tiny HTTP server for Prometheus, the responder's
 * supervisor's and the mailer's: GET /metrics on an opt-in address
 * (--metrics 127.0.0.1:9464, or unix:/path), nothing else.  One
 * connection at a time, each bounded in bytes read and in time, so the
 * program's loop is never held for long.
 */
#ifndef AR_METRICS_HTTP_H
#define AR_METRICS_HTTP_H

#include "base/metrics.h"

struct metrics_http;

/* Writes the exposition of a scrape. */
typedef void metrics_http_expose_fn(struct metrics_text *t, void *arg);

/* Opens the listening socket for spec (host:port or unix:/path; a unix
 * socket is made 0600).  NULL (logged) on failure. */
struct metrics_http *metrics_http_open(const char *spec);

/* Waits up to timeout_ms for a scrape and serves it (at most about
 * METRICS_HTTP_DEADLINE_MS more) with what expose(t, arg) writes. */
void metrics_http_poll(struct metrics_http *mh, int timeout_ms,
    metrics_http_expose_fn *expose, void *arg);

/* Closes the socket without removing a unix socket's file: what a forked
 * worker does with the copy it inherits. */
void metrics_http_close_inherited(struct metrics_http *mh);

/* Closes the socket and removes a unix socket's file. */
void metrics_http_free(struct metrics_http *mh);

#define METRICS_HTTP_DEADLINE_MS	2000
#define METRICS_HTTP_REQUEST_MAX	4096

#endif
