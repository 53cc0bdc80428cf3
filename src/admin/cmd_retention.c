/*
 * cmd_retention.c: the admin command that deletes what is past
 * retention: purge (README section 5, "Retention"; db_retention.h).
 */
#include "ac-config.h"

#include <stdio.h>

#include "admin/admin.h"
#include "db/db_retention.h"

/* purge: every table's rows past retention, in batches, until none is
 * left (README section 5, "Retention"). */
int
cmd_purge(struct admin *a)
{
	unsigned long long	cursor, deleted;
	long			retention;
	int			t, more;

	for (t = 0; t < RT_COUNT; t++) {
		retention = db_retention_of(a->cfg, (enum retention_table)t);
		cursor = deleted = 0;
		if (db_retention_purge(a->db, a->cfg, (enum retention_table)t,
		    0, &cursor, &deleted, &more) != DB_OK)
			return admin_db_failed(a->db, "purge");
		if (retention == 0)
			printf("%-12s kept (retention 0)\n",
			    db_retention_table((enum retention_table)t));
		else
			printf("%-12s %llu rows deleted (past %ld s)\n",
			    db_retention_table((enum retention_table)t), deleted,
			    retention < db_retention_floor((enum retention_table)t) ?
			    db_retention_floor((enum retention_table)t) : retention);
	}
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}
