/*
 * db.h: the database connection.  One connection per process, opened
 * lazily, kept, and reopened when it is lost; statements are prepared
 * once per connection.  Credentials come from a MySQL option file and
 * group (MYSQL_READ_DEFAULT_FILE / MYSQL_READ_DEFAULT_GROUP).  What runs
 * on it is in one header per consumer: db_reset.h, db_attempts.h,
 * db_mail.h, db_admin.h.
 */
#ifndef AR_DB_H
#define AR_DB_H

#include "conf/config.h"

enum db_result {
	DB_OK = 0,
	DB_NOT_FOUND = 1,	/* no such (valid) row */
	DB_CONFLICT = 2,	/* a unique key already holds it */
	DB_UNAVAILABLE = -1,	/* cannot reach the server: answer 503 */
	DB_ERROR = -2,		/* anything else: answer 500 */
};

struct db;

struct db	*db_new(const struct config *cfg);
void		 db_free(struct db *db);

/* Opens the connection now rather than at the first statement (a worker
 * does so before it enters its sandbox, so that the client library has
 * loaded what it needs).  DB_OK or DB_UNAVAILABLE. */
enum db_result db_open(struct db *db);

/* True when every way this handle may connect is a Unix socket: every
 * db_hosts entry is a path, or, without db_hosts, the open connection
 * is a Unix socket (the option file's choice, which a reconnect makes
 * again).  0 when a TCP connection may be needed, or when unknown. */
int db_unix_only(const struct db *db);

/* Loads every authentication plugin the client library has (those not
 * installed are skipped), so that a first connection made inside the
 * sandbox, which maps no new code, finds the one the server asks for. */
void db_preload_plugins(void);

/* Health: one round trip on the connection (opened, or reopened, if
 * need be).  DB_OK, DB_UNAVAILABLE or DB_ERROR. */
enum db_result db_ping(struct db *db);

/* The last error in words, for the log only (never holds secrets: no
 * statement carries a secret in its text, only bound digests). */
const char *db_last_error(const struct db *db);

/* How often the last call was run again (deadlock, lock wait,
 * certification failure, a lost connection or a node not ready moving it
 * to another host), and in *why (when not NULL) the error that caused the
 * last rerun: for the caller's log line. */
int db_reruns(const struct db *db, const char **why);

/* The host (db_hosts entry, or "option file") the connection is on. */
const char *db_host(const struct db *db);

#endif
