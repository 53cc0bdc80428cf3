/*
 * db.c: the only code that touches the MYSQL handle.
 *
 * One connection per process, opened on first use and kept; every
 * statement is prepared once per connection and only ever binds values,
 * so no request data is ever part of SQL text.  A lost connection is
 * dropped and reopened on the next call.  With several hosts (db_hosts:
 * the nodes of a Galera cluster) a connection goes to the first that
 * accepts, and stays there until it fails; a host that fails, or answers
 * that it is not ready (a node outside the Primary component), sends the
 * call to the next.  Every call goes through one rerun rule
 * (dbi_with_reruns); db.c logs nothing itself: the caller learns the reruns
 * and their cause from db_reruns().
 *
 * Opening a connection (the hosts in turn, the session, the schema
 * check) is in db_connect.c.
 *
 * The statements are not here: each consumer's file owns its own table
 * (db_reset.c, db_attempts.c, db_mail.c, db_admin.c) and runs them
 * through dbi_run, dbi_statement and dbi_transaction.
 */
#include "ac-config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <openssl/rand.h>

#include "base/metrics.h"
#include "db/db-internal.h"

struct db *
db_new(const struct config *cfg)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->cfg = cfg;
	db->check_schema = 1;
	/* 63 random bits: two processes sharing a row would only make them
	 * wait for each other, never miscount. */
	if (RAND_bytes((unsigned char *)&db->attempts.writer,
	    sizeof(db->attempts.writer)) != 1) {
		free(db);
		return NULL;
	}
	db->attempts.writer >>= 1;
	return db;
}

void
dbi_disconnect(struct db *db)
{
	int	i;

	for (i = 0; i < db->ncache; i++)
		mysql_stmt_close(db->cache[i].stmt);
	db->ncache = 0;
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
	}
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	dbi_attempts_at_exit(db);
	dbi_disconnect(db);
	free(db);
}

const char *
db_last_error(const struct db *db)
{
	return db->last_error;
}

int
db_reruns(const struct db *db, const char **why)
{
	if (why != NULL)
		*why = db->rerun_error;
	return db->reruns;
}

const char *
db_host(const struct db *db)
{
	if (db->cfg->db_hosts.n == 0)
		return "the option file's host";
	return db->cfg->db_hosts.host[db->host].name;
}

/*
 * Errors that mean this server cannot serve us now: it cannot be reached,
 * went away, or (ER_UNKNOWN_COM_ERROR, "WSREP has not yet prepared node
 * for application use") is a Galera node outside the Primary component
 * or not yet synced, which accepts connections and refuses every query
 * (and, caught at COMMIT by the loss of quorum, fails it with
 * ER_ERROR_DURING_COMMIT).  All answer 503, and a call moves to the next
 * host (never after COMMIT: see dbi_with_reruns).
 */
static int
is_unavailable(unsigned e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_CON_COUNT_ERROR:
	case ER_UNKNOWN_COM_ERROR:
	case ER_ERROR_DURING_COMMIT:	/* Galera: "not connected to Primary" */
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
#ifdef ER_CLIENT_INTERACTION_TIMEOUT
	case ER_CLIENT_INTERACTION_TIMEOUT:	/* MySQL 8 */
#endif
		return 1;
	}
	return 0;
}

/* Deadlock (also Galera's certification failure, at COMMIT or at any
 * statement of a transaction a replicated write aborted) and lock wait
 * timeout: the transaction was rolled back and may simply be rerun. */
static int
is_retryable(unsigned e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
}

/* Records an error and classifies it; a lost connection is dropped, and
 * the next connect starts at the next host. */
enum db_result
dbi_fail(struct db *db, unsigned e, const char *what, const char *msg)
{
	db->last_errno = e;
	snprintf(db->last_error, sizeof(db->last_error), "%s: %u %s", what, e,
	    msg);
	if (is_unavailable(e) || db->conn == NULL) {
		if (db->conn != NULL && db->cfg->db_hosts.n > 1)
			db->host = (db->host + 1) % db->cfg->db_hosts.n;
		dbi_disconnect(db);
		return DB_UNAVAILABLE;
	}
	return DB_ERROR;
}

/* Binds vals to binds; texts in, or out into their buffers. */
static void
bind_vals(MYSQL_BIND *b, struct val *v, size_t n, int out)
{
	size_t	i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		switch (v[i].type) {
		case V_TEXT:
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = v[i].p;
			/* out: room for the NUL that dbi_run adds */
			b[i].buffer_length = out ? v[i].cap - 1 : v[i].len;
			b[i].length = &v[i].len;
			break;
		case V_U64:
		case V_I64:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = v[i].p;
			b[i].is_unsigned = v[i].type == V_U64;
			break;
		}
	}
}

/* The statement prepared on this connection, prepared now if need be
 * and checked against its counts; NULL after dbi_fail(). */
static MYSQL_STMT *
prepared(struct db *db, const struct stmt_def *def)
{
	MYSQL_STMT	*st;
	int		 i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].def == def)
			return db->cache[i].stmt;
	if (db->ncache == STMT_CACHE_MAX) {
		dbi_fail(db, 0, "prepare", "too many statements");
		return NULL;
	}
	if ((st = mysql_stmt_init(db->conn)) == NULL) {
		dbi_fail(db, mysql_errno(db->conn), "stmt_init",
		    mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(st, def->sql, strlen(def->sql)) != 0) {
		dbi_fail(db, mysql_stmt_errno(st), "prepare", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	if (mysql_stmt_param_count(st) != def->nparam ||
	    mysql_stmt_field_count(st) != def->nresult) {
		mysql_stmt_close(st);
		dbi_fail(db, 0, "prepare", "statement counts differ from its table");
		return NULL;
	}
	db->cache[db->ncache].def = def;
	db->cache[db->ncache].stmt = st;
	db->ncache++;
	return st;
}

/* Empties the text outputs, or ends each with its NUL after a fetch. */
static void
terminate_texts(struct val *v, size_t n, int fetched)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i].type == V_TEXT)
			((char *)v[i].p)[fetched ? v[i].len : 0] = '\0';
}

enum db_result
dbi_run(struct db *db, const struct stmt_def *def, struct val *in,
    size_t nin, struct val *outv, size_t nout, unsigned long long *affected)
{
	MYSQL_BIND	 bin[BIND_MAX], bout[BIND_MAX];
	MYSQL_STMT	*st;
	enum db_result	 rc;
	size_t		 i;
	int		 r;

	terminate_texts(outv, nout, 0);
	if (nin != def->nparam || nout != def->nresult || nin > BIND_MAX ||
	    nout > BIND_MAX)
		return dbi_fail(db, 0, "bind", "value counts differ from the table");
	for (i = 0; i < nout; i++)
		if (outv[i].type == V_TEXT && outv[i].cap == 0)
			return dbi_fail(db, 0, "bind", "a text output has no room");
	if ((rc = dbi_connect(db)) != DB_OK)
		return rc;
	if ((st = prepared(db, def)) == NULL)
		return db->conn == NULL ? DB_UNAVAILABLE : DB_ERROR;
	bind_vals(bin, in, nin, 0);
	if (nin > 0 && mysql_stmt_bind_param(st, bin) != 0)
		goto stmt_error;
	if (mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			dbi_fail(db, ER_DUP_ENTRY, "execute", "duplicate entry");
			return DB_CONFLICT;
		}
		goto stmt_error;
	}
	if (affected != NULL)
		*affected = (unsigned long long)mysql_stmt_affected_rows(st);
	if (nout == 0)
		return DB_OK;
	bind_vals(bout, outv, nout, 1);
	if (mysql_stmt_bind_result(st, bout) != 0 ||
	    mysql_stmt_store_result(st) != 0)
		goto stmt_error;
	r = mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	if (r == MYSQL_NO_DATA)
		return DB_NOT_FOUND;
	if (r == 1)
		goto stmt_error;
	/* MYSQL_DATA_TRUNCATED: a text longer than its buffer. */
	if (r == MYSQL_DATA_TRUNCATED)
		return dbi_fail(db, 0, "fetch", "value longer than its buffer");
	terminate_texts(outv, nout, 1);
	return DB_OK;
stmt_error:
	return dbi_fail(db, mysql_stmt_errno(st), "execute", mysql_stmt_error(st));
}

/* See db-internal.h. */
enum db_result
dbi_prepare(struct db *db, const struct stmt_def *defs, size_t n)
{
	enum db_result	 rc;
	size_t		 i;

	if ((rc = dbi_connect(db)) != DB_OK)
		return rc;
	for (i = 0; i < n; i++)
		if (prepared(db, &defs[i]) == NULL)
			return db->conn == NULL ? DB_UNAVAILABLE : DB_ERROR;
	return DB_OK;
}

/* A plain statement without parameters (transaction control). */
static enum db_result
simple(struct db *db, const char *sql)
{
	enum db_result	rc;

	if ((rc = dbi_connect(db)) != DB_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0)
		return dbi_fail(db, mysql_errno(db->conn), sql,
		    mysql_error(db->conn));
	return DB_OK;
}

/* A pause before rerunning after contention: 1 to 4 ms, doubled with
 * each rerun, so that transactions that keep aborting each other (on a
 * cluster, a burst whose index gaps meet) fall out of step. */
static void
backoff(int contended)
{
	struct timespec	now, pause;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pause.tv_sec = 0;
	pause.tv_nsec = (1 + now.tv_nsec / 1000 % 4) * 1000000L << contended;
	nanosleep(&pause, NULL);
}

/* Resets the per-attempt state before an attempt. */
static void
begin_attempt(struct db *db)
{
	db->connect_failed = 0;
	db->committing = 0;
	db->last_errno = 0;
	db->last_error[0] = '\0';
}

/*
 * The one rerun rule of every call.  once() is one attempt (one statement,
 * or one whole transaction that has rolled back or never started when it
 * fails).  It is run again:
 *   - when its connection failed under it (a connection kept from before
 *     that died idle, a node that died or answers that it is not ready,
 *     1047): on a new connection, which starts at the next host; at most
 *     once per host, and not when connecting itself failed (dbi_connect
 *     has tried every host by then);
 *   - after a deadlock, lock wait timeout or certification failure, at
 *     most cfg->db_retries times; if they persist the database is busy
 *     (DB_UNAVAILABLE: 503);
 * and never once COMMIT was sent on a connection that then broke: it may
 * have taken effect, and running the reset again would then answer as if
 * the code had been used by someone else.
 */
enum db_result
dbi_with_reruns(struct db *db, enum db_result (*once)(struct db *, void *),
    void *arg)
{
	enum db_result	rc;
	int		moves = 0, contended = 0;
	int		hosts = db->cfg->db_hosts.n > 1 ? db->cfg->db_hosts.n : 1;

	db->reruns = 0;
	db->rerun_error[0] = '\0';
	for (;;) {
		begin_attempt(db);
		rc = once(db, arg);
		if (rc == DB_UNAVAILABLE && !db->committing &&
		    !db->connect_failed && moves++ < hosts) {
			/* next attempt on a new connection (next host) */
		} else if (rc == DB_ERROR && is_retryable(db->last_errno) &&
		    contended < db->cfg->db_retries) {
			backoff(contended++);
		} else {
			if (rc == DB_ERROR && is_retryable(db->last_errno))
				rc = DB_UNAVAILABLE;	/* contention: later */
			return rc;
		}
		db->reruns++;
		metrics_db_rerun();
		memcpy(db->rerun_error, db->last_error, sizeof(db->rerun_error));
	}
}

enum db_result
db_open(struct db *db)
{
	begin_attempt(db);
	db->reruns = 0;
	return dbi_connect(db);
}

/* The arguments of a one-statement call. */
struct one_stmt {
	const struct stmt_def	*def;
	struct val		*in, *out;
	size_t			 nin, nout;
	unsigned long long	*affected;
};

static enum db_result
one_stmt_once(struct db *db, void *arg)
{
	struct one_stmt	*a = arg;

	return dbi_run(db, a->def, a->in, a->nin, a->out, a->nout, a->affected);
}

/* One statement (autocommit) through the rerun rule. */
enum db_result
dbi_statement(struct db *db, const struct stmt_def *def, struct val *in,
    size_t nin, struct val *out, size_t nout, unsigned long long *affected)
{
	struct one_stmt	a = { def, in, out, nin, nout, affected };

	return dbi_with_reruns(db, one_stmt_once, &a);
}

/* One transaction: its statements (body) and a COMMIT, or a rollback. */
struct txn {
	enum db_result	(*body)(struct db *, void *);
	void		*arg;
};

enum db_result
dbi_begin(struct db *db)
{
	return simple(db, "START TRANSACTION");
}

enum db_result
dbi_end(struct db *db, enum db_result rc)
{
	if (rc == DB_OK) {
		db->committing = 1;
		rc = simple(db, "COMMIT");
		/* A deadlock or certification failure at COMMIT was answered
		 * by the server: the transaction was rolled back, and the
		 * rerun rule may run it again.  Anything else: unknown state,
		 * start over on a new connection. */
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			db->committing = 0;
		else if (rc != DB_OK)
			dbi_disconnect(db);
		return rc;
	}
	if (db->conn != NULL && mysql_rollback(db->conn) != 0)
		dbi_disconnect(db);	/* unknown state: start over */
	return rc;
}

static enum db_result
txn_once(struct db *db, void *arg)
{
	struct txn	*t = arg;
	enum db_result	 rc;

	if ((rc = dbi_begin(db)) != DB_OK)
		return rc;
	return dbi_end(db, t->body(db, t->arg));
}

/* body as one transaction, through the rerun rule. */
enum db_result
dbi_transaction(struct db *db, enum db_result (*body)(struct db *, void *),
    void *arg)
{
	struct txn	t = { body, arg };

	return dbi_with_reruns(db, txn_once, &t);
}

/* One round trip, for the health answer. */
static enum db_result
ping_once(struct db *db, void *arg)
{
	(void)arg;
	return simple(db, "DO 1");
}

enum db_result
db_ping(struct db *db)
{
	return dbi_with_reruns(db, ping_once, NULL);
}
