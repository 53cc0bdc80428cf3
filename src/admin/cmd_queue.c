/*
 * cmd_queue.c: the admin commands about the recover queue: queue,
 * requeue.
 */
#include "ac-config.h"

#include <stdio.h>

#include "admin/admin.h"
#include "base/number.h"
#include "db/db_mail.h"

/* queue: the recover queue's rows by state, with the age of the oldest
 * of each (for "queued", how long the oldest request has waited). */
int
cmd_queue(struct admin *a)
{
	static const char *const states[] = { "queued", "sent", "suppressed",
	    "unknown", "failed", "expired" };
	unsigned long long	count;
	long long		oldest;
	size_t			i;

	printf("%-12s %10s  %s\n", "state", "rows", "oldest (seconds)");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (db_mail_state_count(a->db, states[i], &count, &oldest) !=
		    DB_OK)
			return admin_db_failed(a->db, "queue");
		printf("%-12s %10llu  %lld\n", states[i], count,
		    count > 0 ? oldest : 0);
	}
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* requeue ID: a finished row (sent, suppressed, unknown, failed,
 * expired) is queued again, due now, with its attempts reset. */
int
cmd_requeue(struct admin *a)
{
	long long	id;

	if (number_parse(a->args[0], 1, 9223372036854775807LL, &id) == -1) {
		fprintf(stderr, "account-reset-admin: requeue %.32s: not a "
		    "queue row id\n", a->args[0]);
		return EXIT_ERROR;
	}
	switch (db_mail_requeue(a->db, (unsigned long long)id)) {
	case DB_OK:
		printf("queued %lld again\n", id);
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: no finished queue row %lld "
		    "with an address (queued rows and rows past retention "
		    "cannot be requeued)\n", id);
		return EXIT_REFUSED;
	default:
		return admin_db_failed(a->db, "requeue");
	}
}
