/*
 * migrate.c: account-reset-admin migrate.  The steps and how they run
 * are the database layer's (db_schema.c); this says what happens.
 */
#include "ac-config.h"

#include <stdio.h>

#include "admin/migrate.h"
#include "db/db_schema.h"

static void
report(void *arg, const struct schema_step *step)
{
	(void)arg;
	printf("step %03d %s\n", step->version, step->topic);
	fflush(stdout);
}

int
admin_migrate(struct db *db)
{
	int	from = -1, to = -1;

	db_schema_check_off(db);
	switch (db_migrate(db, report, NULL, &from, &to)) {
	case DB_OK:
		if (from == to)
			printf("schema version %d: up to date\n", to);
		else
			printf("schema version %d: upgraded from %d\n", to, from);
		return fflush(stdout) == 0 ? 0 : 2;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: migrate: the database holds "
		    "no account-reset schema: load conf/schema.sql (or "
		    "schema-django.sql) first\n");
		return 1;
	case DB_CONFLICT:
		fprintf(stderr, "account-reset-admin: migrate: the database's "
		    "schema is version %d, newer than this program's %d: "
		    "nothing done\n", from, db_schema_known());
		return 1;
	default:
		fprintf(stderr, "account-reset-admin: migrate: %s (schema at "
		    "version %d; run migrate again once fixed)\n",
		    db_last_error(db), to);
		return 2;
	}
}
