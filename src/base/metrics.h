/*
 * metrics.h: counters for Prometheus (README section 8, "Metrics").
 *
 * Before it forks, the supervisor maps one region of shared memory
 * (MAP_SHARED | MAP_ANONYMOUS) with a slot of counters per worker slot;
 * each worker counts in its own slot with relaxed atomic additions (no
 * lock, no system call, nothing the seccomp filter has to allow), and the
 * supervisor adds the slots up when it is scraped (metrics_http.c).  A
 * replaced worker counts on in the slot of the one it replaces, so every
 * counter only grows.  Outside a supervisor (CGI, the admin CLI, a single
 * responder) nothing is mapped and every count is a no-op.
 */
#ifndef AR_METRICS_H
#define AR_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The endpoints requests are counted by (the route table names one per
 * row; ME_NOT_FOUND is the 404 of a path no row names). */
enum metrics_endpoint { ME_RESET, ME_RECOVER, ME_HEALTH, ME_NOT_FOUND,
    ME_AUTH_CHECK, ME_TOKEN, ME_INTROSPECT, ME_REVOKE, ME_COUNT };

/* Maps the region for nslots workers.  Returns 0, or -1 (logged). */
int metrics_init(int nslots);

/* In a worker, just after fork: counts go to slot i from now on. */
void metrics_bind_slot(int i);

/* One answered request: its endpoint, status and duration. */
void metrics_request(enum metrics_endpoint ep, int status, double seconds);
/* One PBKDF2 computation of a new password record, and how long it took. */
void metrics_pbkdf2(double seconds);
/* A request refused because the database failed: unavailable (503) or
 * another error (500). */
void metrics_db_error(int unavailable);
/* A connection to the database opened again after one was lost. */
void metrics_db_reconnect(void);
/* A reset transaction rerun after a deadlock or lock wait timeout. */
void metrics_db_rerun(void);
/* A request refused by the attempt limit (429). */
void metrics_attempt_limited(void);
/* A request without a client key: no limit per client applied to it. */
void metrics_client_unkeyed(void);
/* A health check that went to the database (health.c). */
void metrics_health_db_check(void);
/* Supervisor: a worker that died in service was replaced. */
void metrics_worker_restarted(void);
/* Supervisor: the workers configured and alive now (the gauges). */
void metrics_workers(int configured, int alive);

struct textbuf;

/*
 * Writes every metric in the Prometheus text exposition format (0.0.4):
 * the slots added up, and the supervisor's restarts and gauges (workers
 * configured and alive), from shared memory: any process forked after
 * metrics_init can serve them.
 */
void metrics_expose(struct textbuf *t);

#endif
