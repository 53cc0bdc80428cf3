/*
 * mailer_metrics.c: the mailer's counters and exposition
 * (mailer_metrics.h).
 */
#include "ac-config.h"

#include <string.h>

#include "db/db_mail.h"
#include "mailer/mailer_metrics.h"

/* The outcomes, in the order of mail_queue's ENUM. */
static const char *const outcomes[] = { "sent", "suppressed", "unknown",
    "failed", "expired" };
#define NOUTCOME	(sizeof(outcomes) / sizeof(outcomes[0]))

/* The queue's states: the outcomes and "queued". */
static const char *const states[] = { "queued", "sent", "suppressed",
    "unknown", "failed", "expired" };
#define NSTATE		(sizeof(states) / sizeof(states[0]))

/* The tables retention purges (db_retention.h). */
static const char *const purged_tables[] = { "reset_codes", "tokens",
    "mail_queue" };
#define NPURGED		(sizeof(purged_tables) / sizeof(purged_tables[0]))

/* SMTP transaction buckets, seconds. */
static const double buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    60 };
#define NBUCKET		(sizeof(buckets) / sizeof(buckets[0]))

static struct {
	unsigned long long	outcome[NOUTCOME];
	unsigned long long	retried;
	unsigned long long	smtp_bucket[NBUCKET];
	unsigned long long	smtp_count;
	double			smtp_sum;
	unsigned long long	purged[NPURGED];
} c;

void
mailer_metrics_purged(const char *table, unsigned long long n)
{
	size_t	i;

	for (i = 0; i < NPURGED; i++)
		if (strcmp(purged_tables[i], table) == 0)
			c.purged[i] += n;
}

void
mailer_metrics_outcome(const char *state)
{
	size_t	i;

	for (i = 0; i < NOUTCOME; i++)
		if (strcmp(outcomes[i], state) == 0)
			c.outcome[i]++;
}

void
mailer_metrics_retry(void)
{
	c.retried++;
}

void
mailer_metrics_smtp(double seconds)
{
	size_t	i;

	for (i = 0; i < NBUCKET; i++)
		if (seconds <= buckets[i])
			c.smtp_bucket[i]++;
	c.smtp_count++;
	c.smtp_sum += seconds;
}

static void
counters(struct textbuf *t)
{
	size_t	i;

	textbuf_printf(t, "# HELP account_reset_mailer_outcomes_total Queue rows "
	    "finished by this mailer, by outcome (failed and expired: given "
	    "up).\n# TYPE account_reset_mailer_outcomes_total counter\n");
	for (i = 0; i < NOUTCOME; i++)
		textbuf_printf(t, "account_reset_mailer_outcomes_total"
		    "{outcome=\"%s\"} %llu\n", outcomes[i], c.outcome[i]);
	textbuf_printf(t, "# HELP account_reset_mailer_retries_total Transient "
	    "SMTP failures to be tried again.\n"
	    "# TYPE account_reset_mailer_retries_total counter\n"
	    "account_reset_mailer_retries_total %llu\n", c.retried);
	textbuf_printf(t, "# HELP account_reset_mailer_purged_rows_total Rows "
	    "deleted past their retention, by table.\n"
	    "# TYPE account_reset_mailer_purged_rows_total counter\n");
	for (i = 0; i < NPURGED; i++)
		textbuf_printf(t, "account_reset_mailer_purged_rows_total"
		    "{table=\"%s\"} %llu\n", purged_tables[i], c.purged[i]);
	textbuf_printf(t, "# HELP account_reset_mailer_smtp_duration_seconds "
	    "SMTP transactions, connect to QUIT, whatever their outcome.\n"
	    "# TYPE account_reset_mailer_smtp_duration_seconds histogram\n");
	for (i = 0; i < NBUCKET; i++)
		textbuf_printf(t, "account_reset_mailer_smtp_duration_seconds_bucket"
		    "{le=\"%g\"} %llu\n", buckets[i], c.smtp_bucket[i]);
	textbuf_printf(t, "account_reset_mailer_smtp_duration_seconds_bucket"
	    "{le=\"+Inf\"} %llu\n"
	    "account_reset_mailer_smtp_duration_seconds_sum %.6f\n"
	    "account_reset_mailer_smtp_duration_seconds_count %llu\n",
	    c.smtp_count, c.smtp_sum, c.smtp_count);
}

static void
queue(struct textbuf *t, struct db *db)
{
	unsigned long long	count[NSTATE], due = 0;
	long long		oldest[NSTATE], due_age = 0;
	size_t			i;
	int			up = 1;

	for (i = 0; i < NSTATE && up; i++)
		up = db_mail_state_count(db, states[i], &count[i],
		    &oldest[i]) == DB_OK;
	if (up)
		up = db_mail_due_oldest(db, &due, &due_age) == DB_OK;
	textbuf_printf(t, "# HELP account_reset_mailer_queue_up 1 when the "
	    "queue could be read for this scrape.\n"
	    "# TYPE account_reset_mailer_queue_up gauge\n"
	    "account_reset_mailer_queue_up %d\n", up);
	if (!up)
		return;
	textbuf_printf(t, "# HELP account_reset_mailer_queue_rows Rows of "
	    "mail_queue by state (all mailers).\n"
	    "# TYPE account_reset_mailer_queue_rows gauge\n");
	for (i = 0; i < NSTATE; i++)
		textbuf_printf(t, "account_reset_mailer_queue_rows"
		    "{state=\"%s\"} %llu\n", states[i], count[i]);
	textbuf_printf(t, "# HELP account_reset_mailer_queue_due_rows Queued "
	    "rows due now and not under a lease.\n"
	    "# TYPE account_reset_mailer_queue_due_rows gauge\n"
	    "account_reset_mailer_queue_due_rows %llu\n"
	    "# HELP account_reset_mailer_oldest_due_seconds How long the "
	    "oldest due row has waited since it became due (0: none).\n"
	    "# TYPE account_reset_mailer_oldest_due_seconds gauge\n"
	    "account_reset_mailer_oldest_due_seconds %lld\n", due,
	    due > 0 ? due_age : 0);
}

void
mailer_metrics_expose(struct textbuf *t, struct db *db)
{
	counters(t);
	queue(t, db);
}
