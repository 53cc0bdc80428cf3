/*
 * migrate.c: account-reset-admin migrate (docs/UPGRADING.md).  The steps
 * and how they run are the database layer's (db_schema.c); this says
 * what happens.
 */
#include "ac-config.h"

#include <stdio.h>

#include "admin/admin.h"
#include "db/db_schema.h"

static void
report(void *arg, const struct schema_step *step)
{
	(void)arg;
	printf("step %03d %s\n", step->version, step->topic);
	fflush(stdout);
}

/* migrate: the schema up to this build's version, step by step; safe to
 * run again.  Refused (1) without an account-reset schema, or with a
 * newer one. */
int
cmd_migrate(struct admin *a)
{
	int	from = -1, to = -1;

	db_schema_check_off(a->db);
	switch (db_migrate(a->db, report, NULL, &from, &to)) {
	case DB_OK:
		if (from == to)
			printf("schema version %d: up to date\n", to);
		else
			printf("schema version %d: upgraded from %d\n", to, from);
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: migrate: the database holds "
		    "no account-reset schema: load conf/schema.sql (or "
		    "schema-django.sql) first\n");
		return EXIT_REFUSED;
	case DB_CONFLICT:
		fprintf(stderr, "account-reset-admin: migrate: the database's "
		    "schema is version %d, newer than this program's %d: "
		    "nothing done\n", from, db_schema_known());
		return EXIT_REFUSED;
	default:
		fprintf(stderr, "account-reset-admin: migrate: %s (schema at "
		    "version %d; run migrate again once fixed)\n",
		    db_last_error(a->db), to);
		return EXIT_ERROR;
	}
}
