/*
 * db_schema.h: the schema's version (table schema_version) and the steps
 * that bring an earlier schema up to date (conf/upgrade/NNN-topic.sql,
 * compiled in as src/db/schema_steps.h; docs/UPGRADING.md).
 *
 * Every program checks the version when it connects, and refuses to work
 * on a schema it does not know (db_schema_refused()), naming the command
 * that upgrades it; account-reset-admin migrate turns the check off and
 * runs the steps.
 */
#ifndef AR_DB_SCHEMA_H
#define AR_DB_SCHEMA_H

#include "db/db.h"

/* One upgrade step: conf/upgrade/<version>-<topic>.sql, its statements
 * in order (NULL-terminated), each sent on its own. */
struct schema_step {
	int			 version;
	const char		*topic;
	const char *const	*sql;
};

/* The version this build knows (its last step). */
int db_schema_known(void);

/* 1 when the last connection was refused for its schema (the reason is
 * db_last_error()). */
int db_schema_refused(const struct db *db);

/* Turns the check off on this handle (migrate only). */
void db_schema_check_off(struct db *db);

/* The database's version into *version: schema_version's highest, or,
 * for a database made before the table existed, the version its tables
 * show; -1 when it holds no account-reset schema at all.  DB_OK or an
 * error. */
enum db_result db_schema_version(struct db *db, int *version);

/* Runs every step above the database's version, one statement at a
 * time, recording each step in schema_version as it completes; report()
 * is told of each step before it runs.  *from and *to get the versions
 * before and after.  DB_NOT_FOUND when the database holds no
 * account-reset schema (load conf/schema.sql), DB_CONFLICT when its
 * version is newer than this build's. */
enum db_result db_migrate(struct db *db,
    void (*report)(void *arg, const struct schema_step *step), void *arg,
    int *from, int *to);

#endif
