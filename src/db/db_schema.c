/*
 * db_schema.c: the schema's version and the upgrade steps (db_schema.h).
 *
 * The steps are conf/upgrade/NNN-topic.sql, compiled in by
 * scripts/gen-schema-steps (Makefile.am's UPGRADE_STEPS).  Each step's
 * statements are written to be safe to run again (IF [NOT] EXISTS), and
 * are sent one at a time with autocommit: DDL is never part of a
 * transaction, and on a Galera cluster each statement replicates on its
 * own (total order isolation) and holds the cluster only for itself.  A
 * step is recorded in schema_version once all of its statements ran, so
 * a migrate cut short runs the cut step again, and a second migrate finds
 * nothing to do.
 */
#include "ac-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "db/db-internal.h"
#include "db/db_schema.h"
#include "db/schema_steps.h"

#define NSTEPS	((int)(sizeof(schema_steps) / sizeof(schema_steps[0])))

int
db_schema_known(void)
{
	return SCHEMA_VERSION;
}

int
db_schema_refused(const struct db *db)
{
	return db->schema_refused;
}

void
db_schema_check_off(struct db *db)
{
	db->check_schema = 0;
}

/* One integer from a query's first row and column: DB_OK, DB_NOT_FOUND
 * (no row, or NULL), or as dbi_fail(). */
static enum db_result
query_int(struct db *db, const char *sql, long long *out)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	enum db_result	 rc = DB_NOT_FOUND;

	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0 ||
	    (res = mysql_store_result(db->conn)) == NULL)
		return dbi_fail(db, mysql_errno(db->conn), "schema_version",
		    mysql_error(db->conn));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
		*out = strtoll(row[0], NULL, 10);
		rc = DB_OK;
	}
	mysql_free_result(res);
	return rc;
}

/* schema_version's highest version into *v; ER_NO_SUCH_TABLE comes back
 * as DB_NOT_FOUND, as does an empty table. */
static enum db_result
recorded_version(struct db *db, long long *v)
{
	enum db_result	rc;

	rc = query_int(db, "SELECT MAX(version) FROM schema_version", v);
	if (rc == DB_ERROR && db->last_errno == ER_NO_SUCH_TABLE)
		rc = DB_NOT_FOUND;
	return rc;
}

/* Called by db.c on each new connection while the check is on. */
enum db_result
dbi_schema_check(struct db *db)
{
	enum db_result	rc;
	long long	v = 0;
	char		why[128];

	db->schema_refused = 0;
	rc = recorded_version(db, &v);
	if (rc == DB_UNAVAILABLE)
		return rc;
	if (rc == DB_OK && v == SCHEMA_VERSION)
		return DB_OK;
	db->schema_refused = 1;
	db->last_errno = 0;
	if (rc == DB_ERROR) {
		memcpy(why, db->last_error, sizeof(why) - 1);
		why[sizeof(why) - 1] = '\0';
		snprintf(db->last_error, sizeof(db->last_error),
		    "cannot read the schema's version (%.100s): grant SELECT "
		    "on schema_version, or run account-reset-admin migrate",
		    why);
	}
	else if (rc == DB_NOT_FOUND)
		snprintf(db->last_error, sizeof(db->last_error),
		    "the database has no schema version (a schema older than "
		    "0.2.0): run account-reset-admin migrate");
	else if (v < SCHEMA_VERSION)
		snprintf(db->last_error, sizeof(db->last_error),
		    "the database's schema is version %lld, this program "
		    "needs %d: run account-reset-admin migrate", v,
		    SCHEMA_VERSION);
	else
		snprintf(db->last_error, sizeof(db->last_error),
		    "the database's schema is version %lld, newer than this "
		    "program's %d: install the programs that match it", v,
		    SCHEMA_VERSION);
	return DB_ERROR;
}

/*
 * The version of a database made before schema_version existed (0.1.0
 * and the commits up to 0.2.0), from what its tables show: each step
 * left a mark.  A database made on the galera branch (0b20e52:
 * attempt_failures without mail_queue) counts as 2: steps 003 to 005 make
 * what it lacks, and 005 finds its table there.
 */
static const char detect_sql[] =
    "SELECT CASE"
    " WHEN EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND table_name = 'mail_queue')"
    "  AND NOT EXISTS (SELECT 1 FROM information_schema.statistics"
    "  WHERE table_schema = DATABASE() AND table_name = 'mail_queue'"
    "  AND index_name = 'mail_queue_lease') THEN"
    "  IF(EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND table_name = 'attempt_failures'),"
    "  5, 4)"
    " WHEN EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND table_name = 'mail_queue') THEN 3"
    " WHEN EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND (table_name = 'attempt_failures'"
    "  OR (table_name = 'attempt_counters' AND engine = 'MEMORY'))) THEN 2"
    " WHEN EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND table_name = 'attempt_counters')"
    "  THEN 1"
    " WHEN EXISTS (SELECT 1 FROM information_schema.tables"
    "  WHERE table_schema = DATABASE() AND table_name = 'reset_codes') THEN 0"
" ELSE -1 END";

struct version_arg {
	int	*version;
};

static enum db_result
version_once(struct db *db, void *arg)
{
	struct version_arg	*va = arg;
	enum db_result		 rc;
	long long		 v = -1;

	if ((rc = dbi_connect(db)) != DB_OK)
		return rc;
	rc = recorded_version(db, &v);
	if (rc == DB_NOT_FOUND)
		rc = query_int(db, detect_sql, &v);
	if (rc == DB_OK)
		*va->version = (int)v;
	return rc;
}

enum db_result
db_schema_version(struct db *db, int *version)
{
	struct version_arg	va = { version };

	return dbi_with_reruns(db, version_once, &va);
}

/* One statement, autocommit (DDL commits by itself anyway). */
static enum db_result
exec_once(struct db *db, void *arg)
{
	const char	*sql = arg;
	enum db_result	 rc;

	if ((rc = dbi_connect(db)) != DB_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0)
		return dbi_fail(db, mysql_errno(db->conn), "migrate",
		    mysql_error(db->conn));
	return DB_OK;
}

static enum db_result
exec(struct db *db, const char *sql)
{
	return dbi_with_reruns(db, exec_once, (void *)(uintptr_t)sql);
}

/* The table itself; schema.sql and schema-django.sql make the same. */
static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INT UNSIGNED NOT NULL,"
    " topic VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " applied_at DATETIME(6) NOT NULL,"
    " PRIMARY KEY (version)"
    ") ENGINE=InnoDB DEFAULT CHARSET=ascii";

static enum db_result
record(struct db *db, int version, const char *topic)
{
	char	sql[256];

	/* topic is a file name of the build (NNN-topic.sql), never input. */
	snprintf(sql, sizeof(sql), "INSERT IGNORE INTO schema_version "
	    "(version, topic, applied_at) VALUES (%d, '%s', UTC_TIMESTAMP(6))",
	    version, topic);
	return exec(db, sql);
}

enum db_result
db_migrate(struct db *db,
    void (*report)(void *arg, const struct schema_step *step), void *arg,
    int *from, int *to)
{
	enum db_result	rc;
	int		i, j, v;

	db->check_schema = 0;
	if ((rc = db_schema_version(db, &v)) != DB_OK)
		return rc;
	*from = *to = v;
	if (v < 0)
		return DB_NOT_FOUND;
	if (v > SCHEMA_VERSION)
		return DB_CONFLICT;
	if ((rc = exec(db, create_sql)) != DB_OK)
		return rc;
	/* A database older than the table: its version as found. */
	if (v > 0 && (rc = record(db, v, schema_steps[v - 1].topic)) != DB_OK)
		return rc;
	for (i = v; i < NSTEPS; i++) {
		if (report != NULL)
			report(arg, &schema_steps[i]);
		for (j = 0; schema_steps[i].sql[j] != NULL; j++)
			if ((rc = exec(db, schema_steps[i].sql[j])) != DB_OK)
				return rc;
		if ((rc = record(db, schema_steps[i].version,
		    schema_steps[i].topic)) != DB_OK)
			return rc;
		*to = schema_steps[i].version;
	}
	return DB_OK;
}
