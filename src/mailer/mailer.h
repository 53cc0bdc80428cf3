/*
 * mailer.h: what the files of account-reset-mailer share: the process
 * (mailer.c: configuration, signals, the queue loop, the sandbox), one
 * row's delivery (delivery.c: a code or the notice, the message, SMTP,
 * the outcome and its event) and the webhooks (hooks.c).
 */
#ifndef AR_MAILER_H
#define AR_MAILER_H

#include <stddef.h>
#include <time.h>

#include "base/metrics_http.h"
#include "conf/config.h"
#include "db/db.h"
#include "db/db_mail.h"
#include "db/db_retention.h"
#include "mailer/smtp.h"
#include "mailer/templates.h"
#include "mailer/webhook.h"

/* What a configuration comes to once checked: the SMTP handle with its
 * credentials, and the templates. */
struct setup {
	struct config		 cfg;		/* mysql_option_* the mailer's */
	const char		*option_key;	/* the key that named it */
	struct smtp		*smtp;
	struct template_set	 templates;
	struct webhook		*webhook;	/* NULL: no webhook_url */
};

/* Durations of recent sends kept to pad rows that send nothing to. */
#define ROW_COST_SAMPLES	32

struct mailer {
	const char	*config_path;
	struct setup	*setup;
	struct db	*db;
	int		 once;
	time_t		 last_sweep;
	unsigned long	 sent, given_up, retried;
	unsigned long long purge_cursor[RT_COUNT]; /* where purging goes on */
	time_t		 purge_logged[RT_COUNT]; /* the last failure logged */
	const char	*metrics_spec;	/* --metrics, or NULL */
	struct metrics_http *metrics;
	unsigned long	 hooks_delivered, hooks_given_up, hooks_retried;
	/* The row under way went to the relay (delivery.c). */
	int		 row_sent;
	long		 row_setup_us;	/* of which opening a connection */
	/* How long the last rows that went to the relay took, in µs: a row
	 * that sent nothing is made to take as long as one of them. */
	long		 send_us[ROW_COST_SAMPLES];
	unsigned	 nsend, next_send;
};

/* One row under our lease, from start to its recorded outcome. */
void mailer_work(struct mailer *m, struct mail_job *job);

/* sweep.c: the retention sweep, every SWEEP_EVERY seconds of the loop. */
void mailer_sweep(struct mailer *m);

/* The delay before attempt n + 1: backoff doubled for each attempt
 * made, capped at a day, with "equal jitter" (half fixed, half random)
 * so that a relay or a site coming back is not hit by every retry at
 * once (delivery.c). */
long mailer_retry_delay(long backoff, unsigned long long attempts);

/* One due webhook outbox row, delivered, retried later or given up
 * (hooks.c).  DB_OK when a row was worked, DB_NOT_FOUND when none was
 * due, else the database's error (logged). */
enum db_result mailer_webhook_once(struct mailer *m);

#endif
