/*
 * metrics_http.h: the supervisor's tiny HTTP server for Prometheus:
 * GET /metrics on an opt-in address (--metrics 127.0.0.1:9464, or
 * unix:/path), nothing else.  One connection at a time, each bounded in
 * bytes read and in time, so the supervisor's signal loop is never held
 * for long.
 */
#ifndef AR_METRICS_HTTP_H
#define AR_METRICS_HTTP_H

struct metrics_http;

/* Opens the listening socket for spec (host:port or unix:/path; a unix
 * socket is made 0600).  NULL (logged) on failure. */
struct metrics_http *metrics_http_open(const char *spec);

/* Waits up to timeout_ms for a scrape and serves it (at most about
 * METRICS_HTTP_DEADLINE_MS more).  workers_* are the supervisor's gauges. */
void metrics_http_poll(struct metrics_http *mh, int timeout_ms,
    int workers_configured, int workers_alive);

/* Closes the socket without removing a unix socket's file: what a forked
 * worker does with the copy it inherits. */
void metrics_http_close_inherited(struct metrics_http *mh);

/* Closes the socket and removes a unix socket's file. */
void metrics_http_free(struct metrics_http *mh);

#define METRICS_HTTP_DEADLINE_MS	2000
#define METRICS_HTTP_REQUEST_MAX	4096

#endif
