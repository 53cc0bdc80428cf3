/*
 * db-internal.h: what the files of the database layer share.  db.c owns
 * the connection, the statement runner and the one rerun rule; each other
 * file (db_reset.c, db_attempts.c, db_mail.c, db_admin.c) owns the
 * statements of one consumer, in a table of its own, and runs them
 * through db.c.  Nothing outside src/db/ includes this header.
 */
#ifndef AR_DB_INTERNAL_H
#define AR_DB_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "base/client.h"
#include "db/db.h"

/* A statement with the number of values it binds in and out: dbi_run()
 * refuses a call that passes other counts, and a prepared statement whose
 * server-side counts differ, so that no bind array is ever overrun.  Each
 * file keeps its statements in a const table indexed by an enum of its
 * own, and passes &table[INDEX]: the address is the statement's identity
 * in the connection's cache of prepared statements. */
struct stmt_def {
	const char	*sql;
	unsigned	 nparam;
	unsigned	 nresult;
};

/* The most values one statement binds in or out (the recover counts:
 * 9 in). */
#define BIND_MAX	10
/* The most distinct statements one process prepares. */
#define STMT_CACHE_MAX	64

/* One value to bind, in or out. */
struct val {
	enum { V_TEXT, V_U64, V_I64 } type;
	void		*p;		/* char buffer or the integer */
	size_t		 cap;		/* text out: buffer size, NUL included */
	unsigned long	 len;		/* text length */
};

#define TEXT_IN(s)	{ V_TEXT, (void *)(uintptr_t)(s), 0, (unsigned long)strlen(s) }
/* A text out: dbi_run NUL-terminates it (empty unless a row was read). */
#define TEXT_OUT(buf, size) { V_TEXT, (buf), (size), 0 }
#define U64(x)		{ V_U64, (x), 0, 0 }
#define I64(x)		{ V_I64, (x), 0, 0 }
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Failed attempts counted but not yet written (attempt_batch):
 * db_attempts.c's state, kept in the connection's struct. */
#define PENDING_MAX	64	/* the largest attempt_batch */
struct pending {
	char			key[CLIENT_KEY_MAX];
	unsigned long long	window_start;
	unsigned long long	failures;
};
struct attempt_batch {
	unsigned long long	 writer; /* this process's attempt_failures rows */
	struct pending		 pending[PENDING_MAX];
	int			 npending;
	unsigned		 total;	/* failures in pending[] */
	struct timespec		 since;	/* CLOCK_MONOTONIC, the oldest's */
};

struct prepared {
	const struct stmt_def	*def;
	MYSQL_STMT		*stmt;
};

struct db {
	const struct config	*cfg;
	MYSQL			*conn;
	struct prepared		 cache[STMT_CACHE_MAX];
	int			 ncache;
	int			 host;	/* db_hosts entry to use next / in use */
	int			 connect_failed; /* this attempt could not connect */
	int			 committing; /* COMMIT was sent */
	int			 was_connected; /* a connection was open before */
	int			 reruns; /* of the current call */
	int			 check_schema; /* on each new connection */
	int			 schema_refused; /* the last check refused */
	unsigned		 last_errno;
	char			 last_error[256];
	char			 rerun_error[256]; /* what caused the last rerun */
	struct attempt_batch	 attempts;
};

/*
 * Runs the statement with the inputs bound; for a query, fetches the
 * first row into the outputs (text outputs NUL-terminated).  nin and nout
 * must be the statement's counts.  DB_OK, DB_NOT_FOUND (query with no
 * row), DB_CONFLICT (duplicate key), DB_UNAVAILABLE or DB_ERROR.  One
 * attempt: callers in a transaction or a dbi_with_reruns body use it;
 * others use dbi_statement.
 */
enum db_result dbi_run(struct db *db, const struct stmt_def *st,
    struct val *in, size_t nin, struct val *out, size_t nout,
    unsigned long long *affected);

/* Connects unless connected and prepares the n statements of defs
 * that are not prepared yet: a caller that times its work (the mailer's
 * row padding) pays for first use before it starts the clock. */
enum db_result dbi_prepare(struct db *db, const struct stmt_def *defs,
    size_t n);

/* One statement (autocommit) through the rerun rule. */
enum db_result dbi_statement(struct db *db, const struct stmt_def *st,
    struct val *in, size_t nin, struct val *out, size_t nout,
    unsigned long long *affected);

/* body (its statements through dbi_run) as one transaction, committed or
 * rolled back, through the rerun rule. */
enum db_result dbi_transaction(struct db *db,
    enum db_result (*body)(struct db *, void *), void *arg);

/* once() through the rerun rule (db.c says when it runs again). */
enum db_result dbi_with_reruns(struct db *db,
    enum db_result (*once)(struct db *, void *), void *arg);

/* A transaction's start, and its end: with rc DB_OK a COMMIT (which may
 * fail: the rerun rule's cases), else a rollback; returns the outcome. */
enum db_result dbi_begin(struct db *db);
enum db_result dbi_end(struct db *db, enum db_result rc);

/* Records an error as the call's and classifies it (DB_UNAVAILABLE or
 * DB_ERROR); a lost connection is dropped. */
enum db_result dbi_fail(struct db *db, unsigned e, const char *what,
    const char *msg);

/* Closes the connection and its prepared statements (db.c). */
void dbi_disconnect(struct db *db);

/* Connects unless connected (db_connect.c: each host in turn). */
enum db_result dbi_connect(struct db *db);

/* db_schema.c: on a new connection, DB_OK when the database's schema is
 * the version this build knows; else DB_ERROR with the reason (naming
 * account-reset-admin migrate) as the last error, and the handle marked
 * refused (db_schema_refused()). */
enum db_result dbi_schema_check(struct db *db);

/* Prepares the statements of db_events.c (dbi_prepare). */
enum db_result dbi_events_prepare(struct db *db);

/* Inside a transaction: one event and, for a webhook type while
 * webhook_url is set, its outbox row (db_events.c). */
struct event;
enum db_result dbi_events_add(struct db *db, const struct event *e);

/* Called by db_free: the attempt batch's last, best-effort write. */
void dbi_attempts_at_exit(struct db *db);

/* The client's failures not yet written in the window (db_attempts.c),
 * and the write of pending failures when they are due. */
unsigned long long dbi_attempts_pending(const struct db *db,
    const char *client_key, unsigned long long window_start);
void dbi_attempts_flush_if_due(struct db *db);

#endif
