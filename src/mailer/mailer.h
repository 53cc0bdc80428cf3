/*
 * mailer.h: what the two files of account-reset-mailer share: the process
 * (mailer.c: configuration, signals, the queue loop, the sandbox) and one
 * row's delivery (delivery.c: a code, the message, SMTP, the outcome).
 */
#ifndef AR_MAILER_H
#define AR_MAILER_H

#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "db/db.h"
#include "db/db_mail.h"
#include "mailer/smtp.h"
#include "mailer/templates.h"

/* What a configuration comes to once checked: the SMTP handle with its
 * credentials, and the templates. */
struct setup {
	struct config		 cfg;
	struct smtp		*smtp;
	struct template_set	 templates;
};

struct mailer {
	const char	*config_path;
	struct setup	*setup;
	struct db	*db;
	int		 once;
	time_t		 last_sweep;
	unsigned long	 sent, given_up, retried;
};

/* One row under our lease, from start to its recorded outcome. */
void mailer_work(struct mailer *m, struct mail_job *job);

#endif
