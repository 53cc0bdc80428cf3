/*
 * sweep.c: the mailer's retention sweep (mailer.h): addresses wiped past
 * recover_retention, old events and webhook rows, and rows past the
 * retention_* keys, in small batches so that mailing never waits long.
 */
#include "ac-config.h"

#include <time.h>

#include "conf/config.h"
#include "db/db.h"
#include "db/db_events.h"
#include "db/db_mail.h"
#include "db/db_retention.h"
#include "base/log.h"
#include "mailer/mailer.h"
#include "mailer/mailer_metrics.h"

#define PURGE_BATCHES	20	/* batches a table a sweep (db_retention.h) */

/* Deletes codes, tokens and queue rows past their retention: a few
 * batches of each table a sweep, going on where the last stopped, so
 * that mailing never waits long. */
static void
purge(struct mailer *m)
{
	unsigned long long	n;
	int			t, more;

	for (t = 0; t < RT_COUNT; t++) {
		n = 0;
		if (db_retention_purge(m->db, &m->setup->cfg,
		    (enum retention_table)t, PURGE_BATCHES,
		    &m->purge_cursor[t], &n, &more) != DB_OK &&
		    time(NULL) - m->purge_logged[t] >= 3600) {
			/* At most hourly: a user without DELETE would
			 * otherwise fill the log. */
			m->purge_logged[t] = time(NULL);
			log_msg("retention: purging %s: %s (the mailer's "
			    "database user needs DELETE on it; retention_* = 0 "
			    "turns purging off)",
			    db_retention_table((enum retention_table)t),
			    db_last_error(m->db));
		}
		mailer_metrics_purged(db_retention_table(
		    (enum retention_table)t), n);
		if (n > 0)
			log_msg("retention: deleted %llu rows of %s%s", n,
			    db_retention_table((enum retention_table)t),
			    more ? " (more next sweep)" : "");
	}
}

/* Wipes addresses past recover_retention, 500 rows a statement. */
void
mailer_sweep(struct mailer *m)
{
	unsigned long long	n = 0, total = 0;
	int			rounds;

	m->last_sweep = time(NULL);
	do {
		if (db_mail_wipe(m->db, m->setup->cfg.recover_retention,
		    &n) != DB_OK) {
			log_msg("retention sweep: %s", db_last_error(m->db));
			return;
		}
		total += n;
	} while (n == 500);
	if (total > 0)
		log_msg("retention: wiped the addresses of %llu queue rows "
		    "older than %ld s", total, m->setup->cfg.recover_retention);
	/* Old events, 500 (and 500 outbox rows) a statement, at most 20
	 * statements a sweep: a backlog goes over a few sweeps, never in
	 * one long transaction. */
	total = 0;
	for (rounds = 0; rounds < 20; rounds++) {
		if (db_events_purge(m->db, m->setup->cfg.retention_events,
		    &n) != DB_OK) {
			log_msg("events retention: %s", db_last_error(m->db));
			break;
		}
		total += n;
		if (n == 0)
			break;
	}
	if (total > 0)
		log_msg("retention: deleted %llu events and webhook rows older "
		    "than %ld s", total, m->setup->cfg.retention_events);
	purge(m);
}
