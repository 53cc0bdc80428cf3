/*
 * mailer_metrics.h: what account-reset-mailer counts, and its
 * exposition for GET /metrics on its own listener (--metrics; README
 * section 11).  One process, so plain counters.  The queue's depth by
 * state comes from the database at each scrape: these metrics must stay
 * private (README: they would help enumerate accounts).
 */
#ifndef AR_MAILER_METRICS_H
#define AR_MAILER_METRICS_H

#include "base/strbuf.h"
#include "db/db.h"

/* An outcome recorded for a queue row: "sent", "suppressed", "unknown",
 * "failed", "expired". */
void mailer_metrics_outcome(const char *state);
/* A transient SMTP failure that will be tried again. */
void mailer_metrics_retry(void);
/* One SMTP transaction (connect to QUIT) and how long it took. */
void mailer_metrics_smtp(double seconds);

/* Rows retention deleted from table. */
void mailer_metrics_purged(const char *table, unsigned long long n);

/* The exposition: the counters, then the queue read through db (a
 * failed read is a gauge account_reset_mailer_queue_up 0). */
void mailer_metrics_expose(struct textbuf *t, struct db *db);

#endif
