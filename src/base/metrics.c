/*
 * metrics.c: the counters in shared memory and their exposition (see
 * metrics.h).
 */
#include "ac-config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "base/strbuf.h"

/* The statuses requests are counted under; any other is "other". */
static const int statuses[] = { 200, 202, 400, 401, 404, 405, 411, 413,
    415, 429, 500, 503 };
#define NSTATUS		(sizeof(statuses) / sizeof(statuses[0]))

/* Request-duration buckets, seconds (upper bounds; +Inf is the last). */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1, 2.5, 5, 10 };
#define NBUCKET		(sizeof(buckets) / sizeof(buckets[0]))

static const char *const endpoint_names[ME_COUNT] = {
	[ME_RESET] = "reset", [ME_RECOVER] = "recover", [ME_HEALTH] = "health",
	[ME_NOT_FOUND] = "not_found", [ME_AUTH_CHECK] = "auth_check",
	[ME_TOKEN] = "token", [ME_INTROSPECT] = "introspect",
	[ME_REVOKE] = "revoke",
};

/* One worker slot.  Times are kept in microseconds, as integers, so
 * that adding stays one atomic instruction. */
struct slot {
	uint64_t	requests[ME_COUNT][NSTATUS + 1];
	uint64_t	duration_bucket[ME_COUNT][NBUCKET + 1];	/* not cumulative */
	uint64_t	duration_us[ME_COUNT];
	uint64_t	pbkdf2_count, pbkdf2_us;
	uint64_t	db_unavailable, db_error;
	uint64_t	db_reconnects, db_reruns;
	uint64_t	attempt_limited;
	uint64_t	client_unkeyed;
	uint64_t	health_db_checks;
};

static struct slot	*region;	/* every slot; NULL when off */
static int		 nslots;
static struct slot	*mine;		/* this worker's slot, or NULL */
/* The supervisor's numbers, shared with the process that serves the
 * scrapes. */
struct gauges {
	uint64_t	restarts;
	int		configured, alive;
};
static struct gauges	*gauges;	/* NULL when off */

int
metrics_init(int n)
{
	void	*p;

	p = mmap(NULL, sizeof(struct slot) * (size_t)n, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_msg("metrics: mmap: %s", strerror(errno));
		return -1;
	}
	region = p;		/* zero-filled by the kernel */
	nslots = n;
	p = mmap(NULL, sizeof(struct gauges), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_msg("metrics: mmap: %s", strerror(errno));
		return -1;
	}
	gauges = p;
	return 0;
}

void
metrics_bind_slot(int i)
{
	mine = region != NULL && i >= 0 && i < nslots ? &region[i] : NULL;
}

static void
add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t
micros(double seconds)
{
	return seconds <= 0 ? 0 : (uint64_t)(seconds * 1e6 + 0.5);
}

void
metrics_request(enum metrics_endpoint ep, int status, double seconds)
{
	size_t	s, b;

	if (mine == NULL || (unsigned)ep >= ME_COUNT)
		return;
	for (s = 0; s < NSTATUS && statuses[s] != status; s++)
		;
	for (b = 0; b < NBUCKET && seconds > buckets[b]; b++)
		;
	add(&mine->requests[ep][s], 1);
	add(&mine->duration_bucket[ep][b], 1);
	add(&mine->duration_us[ep], micros(seconds));
}

void
metrics_pbkdf2(double seconds)
{
	if (mine == NULL)
		return;
	add(&mine->pbkdf2_count, 1);
	add(&mine->pbkdf2_us, micros(seconds));
}

/* One more of a counter of this worker's slot, if it has one. */
#define COUNT(field)	do {						\
	if (mine != NULL)						\
		add(&mine->field, 1);					\
} while (0)

void
metrics_db_error(int unavailable)
{
	if (unavailable)
		COUNT(db_unavailable);
	else
		COUNT(db_error);
}

void
metrics_db_reconnect(void)
{
	COUNT(db_reconnects);
}

void
metrics_db_rerun(void)
{
	COUNT(db_reruns);
}

void
metrics_attempt_limited(void)
{
	COUNT(attempt_limited);
}

void
metrics_client_unkeyed(void)
{
	if (mine != NULL)
		add(&mine->client_unkeyed, 1);
}

void
metrics_health_db_check(void)
{
	COUNT(health_db_checks);
}

void
metrics_worker_restarted(void)
{
	if (gauges != NULL)
		add(&gauges->restarts, 1);
}

void
metrics_workers(int configured, int alive)
{
	if (gauges == NULL)
		return;
	__atomic_store_n(&gauges->configured, configured, __ATOMIC_RELAXED);
	__atomic_store_n(&gauges->alive, alive, __ATOMIC_RELAXED);
}

/* Reads a counter that workers may be adding to. */
static uint64_t
load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* The slots added up. */
static void
total(struct slot *sum)
{
	const uint64_t	*src;
	uint64_t	*dst = (uint64_t *)(void *)sum;
	size_t		 k, words = sizeof(*sum) / sizeof(uint64_t);
	int		 n;

	memset(sum, 0, sizeof(*sum));
	for (n = 0; n < nslots; n++) {
		src = (const uint64_t *)(const void *)&region[n];
		for (k = 0; k < words; k++)
			dst[k] += load(&src[k]);
	}
}

static void
counter(struct textbuf *t, const char *name, const char *help,
    uint64_t v)
{
	textbuf_printf(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name,
	    help, name, name, (unsigned long long)v);
}

void
metrics_expose(struct textbuf *t)
{
	struct gauges	 g = { 0, 0, 0 };
	struct slot	 s;
	uint64_t	 cum, count;
	size_t		 e, k;

	if (gauges != NULL) {
		g.restarts = __atomic_load_n(&gauges->restarts,
		    __ATOMIC_RELAXED);
		g.configured = __atomic_load_n(&gauges->configured,
		    __ATOMIC_RELAXED);
		g.alive = __atomic_load_n(&gauges->alive, __ATOMIC_RELAXED);
	}
	if (region == NULL)
		memset(&s, 0, sizeof(s));
	else
		total(&s);
	textbuf_printf(t, "# HELP account_reset_requests_total Requests "
	    "answered, by endpoint and HTTP status.\n"
	    "# TYPE account_reset_requests_total counter\n");
	for (e = 0; e < ME_COUNT; e++)
		for (k = 0; k <= NSTATUS; k++) {
			if (k == NSTATUS)
				textbuf_printf(t, "account_reset_requests_total"
				    "{endpoint=\"%s\",status=\"other\"} %llu\n",
				    endpoint_names[e],
				    (unsigned long long)s.requests[e][k]);
			else
				textbuf_printf(t, "account_reset_requests_total"
				    "{endpoint=\"%s\",status=\"%d\"} %llu\n",
				    endpoint_names[e], statuses[k],
				    (unsigned long long)s.requests[e][k]);
		}
	textbuf_printf(t, "# HELP account_reset_request_duration_seconds Time "
	    "from the request's start to its answer, by endpoint.\n"
	    "# TYPE account_reset_request_duration_seconds histogram\n");
	for (e = 0; e < ME_COUNT; e++) {
		cum = 0;
		for (k = 0; k <= NBUCKET; k++) {
			cum += s.duration_bucket[e][k];
			if (k == NBUCKET)
				textbuf_printf(t, "account_reset_request_duration_"
				    "seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} "
				    "%llu\n", endpoint_names[e],
				    (unsigned long long)cum);
			else
				textbuf_printf(t, "account_reset_request_duration_"
				    "seconds_bucket{endpoint=\"%s\",le=\"%g\"} "
				    "%llu\n", endpoint_names[e], buckets[k],
				    (unsigned long long)cum);
		}
		count = cum;
		textbuf_printf(t, "account_reset_request_duration_seconds_sum"
		    "{endpoint=\"%s\"} %.6f\n", endpoint_names[e],
		    (double)s.duration_us[e] / 1e6);
		textbuf_printf(t, "account_reset_request_duration_seconds_count"
		    "{endpoint=\"%s\"} %llu\n", endpoint_names[e],
		    (unsigned long long)count);
	}
	textbuf_printf(t, "# HELP account_reset_pbkdf2_duration_seconds Time "
	    "spent hashing new passwords (PBKDF2).\n"
	    "# TYPE account_reset_pbkdf2_duration_seconds summary\n"
	    "account_reset_pbkdf2_duration_seconds_sum %.6f\n"
	    "account_reset_pbkdf2_duration_seconds_count %llu\n",
	    (double)s.pbkdf2_us / 1e6, (unsigned long long)s.pbkdf2_count);
	textbuf_printf(t, "# HELP account_reset_db_errors_total Requests "
	    "refused because the database failed: unavailable (503) or "
	    "another error (500).\n"
	    "# TYPE account_reset_db_errors_total counter\n"
	    "account_reset_db_errors_total{kind=\"unavailable\"} %llu\n"
	    "account_reset_db_errors_total{kind=\"error\"} %llu\n",
	    (unsigned long long)s.db_unavailable,
	    (unsigned long long)s.db_error);
	counter(t, "account_reset_db_reconnects_total", "Database connections "
	    "opened again after one was lost.", s.db_reconnects);
	counter(t, "account_reset_db_reruns_total", "Reset transactions rerun "
	    "after a deadlock or a lock wait timeout.", s.db_reruns);
	counter(t, "account_reset_attempt_limit_refusals_total", "Requests "
	    "refused with 429 by the failed-code attempt limit.",
	    s.attempt_limited);
	counter(t, "account_reset_requests_unkeyed_total", "Requests no client "
	    "key could be found for (no usable address): no limit per client "
	    "applied to them.", s.client_unkeyed);
	counter(t, "account_reset_health_db_checks_total", "Database round "
	    "trips made by health checks: at most one a second per worker, "
	    "the other checks answer from it.", s.health_db_checks);
	counter(t, "account_reset_worker_restarts_total", "Workers that died "
	    "in service and were replaced.", g.restarts);
	textbuf_printf(t, "# HELP account_reset_workers Worker processes: "
	    "configured, and alive now.\n"
	    "# TYPE account_reset_workers gauge\n"
	    "account_reset_workers{state=\"configured\"} %d\n"
	    "account_reset_workers{state=\"alive\"} %d\n",
	    g.configured, g.alive);
}
