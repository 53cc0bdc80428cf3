/*
 * mailer.h: what the two files of account-reset-mailer share: the process
 * (mailer.c: configuration, signals, the queue loop, the sandbox) and one
 * row's delivery (delivery.c: a code, the message, SMTP, the outcome).
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

/* What a configuration comes to once checked: the SMTP handle with its
 * credentials, and the templates. */
struct setup {
	struct config		 cfg;		/* mysql_option_* the mailer's */
	const char		*option_key;	/* the key that named it */
	struct smtp		*smtp;
	struct template_set	 templates;
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
	/* The row under way went to the relay (delivery.c). */
	int		 row_sent;
	/* How long the last rows that went to the relay took, in ms: a row
	 * that sent nothing is made to take as long as one of them. */
	long		 send_ms[ROW_COST_SAMPLES];
	unsigned	 nsend_ms, next_send_ms;
};

/* One row under our lease, from start to its recorded outcome. */
void mailer_work(struct mailer *m, struct mail_job *job);

#endif
