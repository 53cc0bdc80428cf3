/*
 * metrics_http.h: a tiny HTTP server for Prometheus, the responder's and
 * the mailer's: GET /metrics on an opt-in address (--metrics
 * 127.0.0.1:9464, or unix:/path), nothing else; what it serves is what
 * the program's expose function writes.  The responder's supervisor
 * opens the socket (as root, before any worker); a child of its own
 * serves it (metrics_http_spawn), after dropping privileges and entering
 * the workers' sandbox, so that the process that keeps root never parses
 * a byte of a request.  One connection at a time, each bounded in bytes
 * read and in time.
 */
#ifndef AR_METRICS_HTTP_H
#define AR_METRICS_HTTP_H

#include <sys/types.h>

#include "base/privsep.h"

/* The serving child's name (ps, /proc/PID/comm). */
#define METRICS_HTTP_PROCESS_NAME	"ar-metrics"

struct metrics_http;
struct textbuf;

/* Writes the exposition of one scrape. */
typedef void metrics_http_expose_fn(struct textbuf *t, void *arg);

/* Opens the listening socket for spec (host:port or unix:/path; a unix
 * socket is made 0600); each scrape is answered with what expose(t, arg)
 * writes.  NULL (logged) on failure. */
struct metrics_http *metrics_http_open(const char *spec,
    metrics_http_expose_fn *expose, void *arg);

/* What a request head asks for. */
enum metrics_http_ask {
	METRICS_ASK_GET,		/* GET /metrics: 200 */
	METRICS_ASK_HEAD,		/* HEAD /metrics: 200 without the body */
	METRICS_ASK_NOT_FOUND,		/* GET or HEAD of another path: 404 */
	METRICS_ASK_BAD_METHOD,		/* any other method: 405 */
};

/* 1 when buf (a NUL-terminated string) holds a whole request head: up
 * to an empty line ("\r\n\r\n" or "\n\n"). */
int metrics_http_head_complete(const char *buf);

/* What the head (a NUL-terminated string) asks for.  Only the method and
 * the path are read; the query is ignored. */
enum metrics_http_ask metrics_http_parse(const char *head);

/* Waits up to timeout_ms (-1: for ever) for a scrape and serves it (at
 * most about METRICS_HTTP_DEADLINE_MS more). */
void metrics_http_poll(struct metrics_http *mh, int timeout_ms);

/* Forks the child that serves mh: it closes other_fd (the FastCGI
 * socket, or -1), drops to ps, enters the sandbox when seccomp is set,
 * and serves until SIGTERM or the death of the process that forked it.
 * Returns its pid, or -1 (logged). */
pid_t metrics_http_spawn(struct metrics_http *mh, int other_fd,
    const struct privsep *ps, int seccomp);

/* Closes the socket without removing a unix socket's file: what a forked
 * worker does with the copy it inherits. */
void metrics_http_close_inherited(struct metrics_http *mh);

/* Closes the socket and removes a unix socket's file. */
void metrics_http_free(struct metrics_http *mh);

#define METRICS_HTTP_DEADLINE_MS	2000
#define METRICS_HTTP_REQUEST_MAX	4096

#endif
