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
 * (with_reruns); db.c logs nothing itself: the caller learns the reruns
 * and their cause from db_reruns().
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <openssl/rand.h>

/* From mysql/client_plugin.h, which MariaDB Connector/C 3.3 installs
 * unusable (it includes a header it does not install). */
#ifndef MYSQL_CLIENT_AUTHENTICATION_PLUGIN
#define MYSQL_CLIENT_AUTHENTICATION_PLUGIN	2
#endif

#include "base/client.h"
#include "db/db.h"
#include "db/db-internal.h"
#include "base/metrics.h"


/* Every statement with the number of values it binds in and out: dbi_run()
 * refuses a call that passes other counts, and a prepared statement whose
 * server-side counts differ, so that no bind array is ever overrun. */
struct stmt_def {
	const char	*sql;
	unsigned	 nparam;
	unsigned	 nresult;
};

/* The largest nparam / nresult of the table (checked by db_new). */
#define BIND_MAX	8

static const struct stmt_def stmts[ST_COUNT] = {
	/* The e-mail is for the password's context check (policy.h). */
	[ST_FIND_CODE] = {
	    "SELECT c.id, c.user_id, u.email FROM reset_codes c "
	    "JOIN users u ON u.id = c.user_id WHERE c.code_sha256 = ? "
	    "AND c.used_at IS NULL AND c.expires_at > UTC_TIMESTAMP(6)", 1, 3 },
	/* The attempt check and the lookup in one round trip.  Windows are
	 * aligned on the database's clock (one value for the whole
	 * statement), so that every worker on every host counts in the same
	 * window; the sum reads one row per process that counted the
	 * client in this window.  The e-mail as in ST_FIND_CODE. */
	[ST_CHECK_CODE] = {
	    "SELECT (SELECT IFNULL(SUM(failures), 0) FROM attempt_failures "
	    "WHERE client_key = ? AND window_start = w.ws), "
	    "CAST(w.ws AS SIGNED) + ? - UNIX_TIMESTAMP(), "
	    "IFNULL(c.id, 0), IFNULL(c.user_id, 0), w.ws, IFNULL(u.email, '') "
	    "FROM (SELECT UNIX_TIMESTAMP() DIV ? * ? AS ws) AS w "
	    "LEFT JOIN (reset_codes AS c JOIN users AS u ON u.id = c.user_id) "
	    "ON c.code_sha256 = ? AND c.used_at IS NULL "
	    "AND c.expires_at > UTC_TIMESTAMP(6)", 5, 6 },
	[ST_LOCK_CODE] = {
	    "SELECT user_id FROM reset_codes WHERE id = ? "
	    "AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6) FOR UPDATE",
	    1, 1 },
	[ST_SET_PASSWORD] = {
	    "UPDATE users SET password = ?, password_changed_at = "
	    "UTC_TIMESTAMP(6) WHERE id = ?", 2, 0 },
	[ST_END_CODES] = {
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL", 1, 0 },
	[ST_REVOKE_TOKENS] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL", 1, 0 },
	[ST_INSERT_TOKEN] = {
	    "INSERT INTO tokens (user_id, access_sha256, refresh_sha256, "
	    "client_id, scope, created_at, access_expires_at, "
	    "refresh_expires_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND)", 7, 0 },
	[ST_CREATE_USER] = {
	    "INSERT INTO users (email, password, created_at) "
	    "VALUES (?, ?, UTC_TIMESTAMP(6))", 2, 0 },
	[ST_ISSUE_CODE] = {
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at) SELECT id, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users WHERE email = ?",
	    3, 0 },
	[ST_PASSWORD_RECORD] = {
	    "SELECT password FROM users WHERE email = ?", 1, 1 },
	/* Each process counts in its own row (writer), so that no two
	 * processes, on one server or on nodes of a cluster, ever write the
	 * same row. */
	[ST_ATTEMPT_ADD] = {
	    "INSERT INTO attempt_failures (client_key, window_start, writer, "
	    "failures) VALUES (?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE failures = failures + VALUES(failures)",
	    4, 0 },
	[ST_ATTEMPT_SWEEP] = {
	    "DELETE FROM attempt_failures WHERE window_start < "
	    "UNIX_TIMESTAMP() DIV ? * ? LIMIT 16", 2, 0 },
	/* The client's rows in the window, and when the oldest leaves it
	 * (Retry-After).  A plain consistent read: no locks (docs/MAILER.md
	 * says why this is not one INSERT ... SELECT). */
	[ST_RECOVER_COUNT] = {
	    "SELECT COUNT(*), COALESCE(CEIL(TIMESTAMPDIFF(MICROSECOND, "
	    "UTC_TIMESTAMP(6), MIN(created_at) + INTERVAL ? SECOND) / 1000000), "
	    "1) FROM mail_queue WHERE client_key = ? AND created_at > "
	    "UTC_TIMESTAMP(6) - INTERVAL ? SECOND", 3, 2 },
	/* One INSERT answers every valid recover request; no user lookup. */
	[ST_RECOVER_ENQUEUE] = {
	    "INSERT INTO mail_queue (request_id, client_key, email, locale, "
	    "created_at, enqueued_at, due_at) VALUES (?, ?, ?, ?, "
	    "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", 4, 0 },
	/* A lease: the row is the mailer's until due_at, then anyone's. */
	/* id = LAST_INSERT_ID(id): the session learns which row it took,
	 * without an index on lease_token. */
	[ST_MQ_CLAIM] = {
	    "UPDATE mail_queue SET lease_token = ?, attempts = attempts + 1, "
	    "due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "id = LAST_INSERT_ID(id) "
	    "WHERE state = 'queued' AND due_at <= UTC_TIMESTAMP(6) "
	    "ORDER BY due_at LIMIT 1", 2, 0 },
	[ST_MQ_LEASED] = {
	    "SELECT id, attempts, TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6)), request_id FROM mail_queue "
	    "WHERE id = LAST_INSERT_ID() AND lease_token = ?", 1, 4 },
	[ST_MQ_LEASED_ADDRESS] = {
	    "SELECT COALESCE(email, ''), locale FROM mail_queue WHERE id = ?", 1, 2 },
	/* The account's row lock serialises every mailer deciding about
	 * this account, so the caps hold across mailers. */
	[ST_MQ_USER_LOCK] = {
	    "SELECT id, email FROM users WHERE email = ? FOR UPDATE", 1, 2 },
	[ST_MQ_CAPS_USER] = {
	    "SELECT COUNT(*), COALESCE(MAX(reserved_at) > UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND, 0) FROM mail_queue WHERE user_id = ? AND "
	    "reserved_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY AND "
	    "state IN ('queued', 'sent') AND id <> ?", 3, 2 },
	[ST_MQ_CAPS_ADDRESS] = {
	    "SELECT COUNT(*), COALESCE(MAX(reserved_at) > UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND, 0) FROM mail_queue WHERE user_id IS NULL AND "
	    "reserved_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY AND email = ? "
	    "AND state IN ('queued', 'sent') AND id <> ?", 3, 2 },
	[ST_MQ_CODE] = {
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at) VALUES (?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND)", 3, 0 },
	[ST_MQ_RESERVE_USER] = {
	    "UPDATE mail_queue SET user_id = ?, reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = LAST_INSERT_ID() WHERE id = ? AND lease_token = ?", 3, 0 },
	[ST_MQ_RESERVE_ADDRESS] = {
	    "UPDATE mail_queue SET reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = NULL WHERE id = ? AND lease_token = ?", 2, 0 },
	/* A code that was not delivered ends at once. */
	[ST_MQ_END_CODE] = {
	    "UPDATE reset_codes c JOIN mail_queue q ON q.code_id = c.id "
	    "SET c.used_at = UTC_TIMESTAMP(6) WHERE q.id = ? AND "
	    "q.lease_token = ? AND c.used_at IS NULL", 2, 0 },
	[ST_MQ_FINISH] = {
	    "UPDATE mail_queue SET state = ?, user_id = COALESCE(NULLIF(?, 0), "
	    "user_id), smtp_status = NULLIF(?, 0), finished_at = "
	    "UTC_TIMESTAMP(6), lease_token = NULL WHERE id = ? AND "
	    "lease_token = ?", 5, 0 },
	[ST_MQ_RETRY] = {
	    "UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "smtp_status = NULLIF(?, 0), lease_token = NULL "
	    "WHERE id = ? AND lease_token = ?", 4, 0 },
	[ST_MQ_WIPE] = {
	    "UPDATE mail_queue SET email = NULL, client_key = '' WHERE "
	    "created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND AND "
	    "(email IS NOT NULL OR client_key <> '') LIMIT 500", 1, 0 },
	[ST_MQ_STATE_COUNT] = {
	    "SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6))), 0) FROM mail_queue WHERE state = ?", 1, 2 },
	[ST_MQ_REQUEUE] = {
	    "UPDATE mail_queue SET state = 'queued', due_at = UTC_TIMESTAMP(6), "
	    "enqueued_at = UTC_TIMESTAMP(6), lease_token = NULL, attempts = 0, "
	    "smtp_status = NULL, finished_at = NULL "
	    "WHERE id = ? AND state <> 'queued' AND email IS NOT NULL", 1, 0 },
	/* The admin CLI's statements. */
	[ST_USER_ID] = {
	    "SELECT id FROM users WHERE email = ?", 1, 1 },
	/* The user's open codes, one at a time in id order (after id ?). */
	[ST_NEXT_CODE] = {
	    "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%SZ'), "
	    "DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%SZ') FROM reset_codes "
	    "WHERE user_id = ? AND id > ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6) ORDER BY id LIMIT 1", 2, 3 },
	[ST_REVOKE_CODES] = {
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6)", 1, 0 },
	/* Every writer's row of the client in the current window. */
	[ST_ATTEMPTS_SHOW] = {
	    "SELECT IFNULL(SUM(failures), 0), CAST(UNIX_TIMESTAMP() DIV ? * ? "
	    "AS SIGNED) + ? - UNIX_TIMESTAMP() FROM attempt_failures "
	    "WHERE client_key = ? AND window_start = UNIX_TIMESTAMP() DIV ? * ?",
	    6, 2 },
	[ST_ATTEMPTS_CLEAR] = {
	    "DELETE FROM attempt_failures WHERE client_key = ?", 1, 0 },
};

/* Failed attempts counted but not yet written (attempt_batch). */
#define PENDING_MAX	64	/* the largest attempt_batch */
#define PENDING_SECONDS	1	/* written at the next call after this */
struct pending {
	char			key[CLIENT_KEY_MAX];
	unsigned long long	window_start;
	unsigned long long	failures;
};

struct db {
	const struct config	*cfg;
	MYSQL			*conn;
	MYSQL_STMT		*stmt[ST_COUNT];
	int			 host;	/* db_hosts entry to use next / in use */
	unsigned long long	 writer; /* this process's attempt_failures rows */
	int			 connect_failed; /* this attempt could not connect */
	int			 committing; /* COMMIT was sent */
	int			 was_connected; /* a connection was open before */
	int			 reruns; /* of the current call */
	unsigned		 last_errno;
	char			 last_error[256];
	char			 rerun_error[256]; /* what caused the last rerun */
	struct pending		 pending[PENDING_MAX];
	int			 npending;
	unsigned		 pending_total;	/* failures in pending[] */
	time_t			 pending_since;	/* CLOCK_MONOTONIC seconds */
};


struct db *
db_new(const struct config *cfg)
{
	struct db	*db;
	int		 i;

	/* A statement that binds more than the arrays of dbi_run() hold is a
	 * programming error: refuse to work at all rather than overrun. */
	for (i = 0; i < ST_COUNT; i++)
		if (stmts[i].sql == NULL || stmts[i].nparam > BIND_MAX ||
		    stmts[i].nresult > BIND_MAX)
			return NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->cfg = cfg;
	/* 63 random bits: two processes sharing a row would only make them
	 * wait for each other, never miscount. */
	if (RAND_bytes((unsigned char *)&db->writer, sizeof(db->writer)) != 1) {
		free(db);
		return NULL;
	}
	db->writer >>= 1;
	return db;
}

static void
db_disconnect(struct db *db)
{
	int	i;

	for (i = 0; i < ST_COUNT; i++)
		if (db->stmt[i] != NULL) {
			mysql_stmt_close(db->stmt[i]);
			db->stmt[i] = NULL;
		}
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
	}
}

static enum db_result flush_failures(struct db *);
static int pending_due(const struct db *);

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->npending > 0 && db->conn != NULL)
		(void)flush_failures(db);	/* best effort, at exit */
	db_disconnect(db);
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
 * host (never after COMMIT: see with_reruns).
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
static enum db_result
fail(struct db *db, unsigned e, const char *what, const char *msg)
{
	db->last_errno = e;
	snprintf(db->last_error, sizeof(db->last_error), "%s: %u %s", what, e,
	    msg);
	if (is_unavailable(e) || db->conn == NULL) {
		if (db->conn != NULL && db->cfg->db_hosts.n > 1)
			db->host = (db->host + 1) % db->cfg->db_hosts.n;
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	return DB_ERROR;
}

/* One connection attempt to the current host (or, without db_hosts, to
 * the option file's), with the session set up.  DB_OK or as fail(). */
static enum db_result
connect_one(struct db *db)
{
	const struct config	*cfg = db->cfg;
	const struct db_host	*h = NULL;
	const char		*host = NULL, *sock = NULL;
	unsigned int		 ct, rt, wt, port = 0;
	unsigned		 e;
	char			 msg[200];

	if ((db->conn = mysql_init(NULL)) == NULL)
		return fail(db, 0, "mysql_init", "out of memory");
	ct = (unsigned int)cfg->db_connect_timeout;
	rt = (unsigned int)cfg->db_read_timeout;
	wt = (unsigned int)cfg->db_write_timeout;
	mysql_options(db->conn, MYSQL_READ_DEFAULT_FILE, cfg->mysql_option_file);
	mysql_options(db->conn, MYSQL_READ_DEFAULT_GROUP,
	    cfg->mysql_option_group);
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (cfg->db_hosts.n > 0) {
		h = &cfg->db_hosts.host[db->host];
		if (h->port == 0) {
			host = "localhost";
			sock = h->name;
		} else {
			host = h->name;
			port = h->port;
		}
	}
	if (mysql_real_connect(db->conn, host, NULL, NULL, NULL, port, sock,
	    0) == NULL) {
		e = mysql_errno(db->conn);
		snprintf(msg, sizeof(msg), "%s%s%s", mysql_error(db->conn),
		    h ? " on " : "", h ? h->name : "");
		mysql_close(db->conn);
		db->conn = NULL;
		return fail(db, e, "connect", msg);
	}
	/* Counted when a connection is opened again after one was lost or
	 * moved (not the first). */
	if (db->was_connected)
		metrics_db_reconnect();
	db->was_connected = 1;
	/* A lock wait must end as a retryable error (1205) well before the
	 * client's read timeout would cut the connection. */
	snprintf(msg, sizeof(msg), "SET SESSION innodb_lock_wait_timeout = %ld",
	    cfg->db_read_timeout / 2 > 0 ? cfg->db_read_timeout / 2 : 1);
	if (mysql_real_query(db->conn, msg, strlen(msg)) != 0) {
		e = mysql_errno(db->conn);
		snprintf(msg, sizeof(msg), "%s", mysql_error(db->conn));
		db_disconnect(db);	/* not the session we need */
		return fail(db, e, "connect", msg);
	}
	return DB_OK;
}

/* Connects unless connected: to each host in turn from the current one,
 * until one accepts (a host that is up is kept until it fails). */
static enum db_result
db_connect(struct db *db)
{
	enum db_result	rc;
	int		tries;

	if (db->conn != NULL)
		return DB_OK;
	tries = db->cfg->db_hosts.n > 1 ? db->cfg->db_hosts.n : 1;
	while ((rc = connect_one(db)) == DB_UNAVAILABLE && --tries > 0)
		if (db->cfg->db_hosts.n > 1)
			db->host = (db->host + 1) % db->cfg->db_hosts.n;
	db->connect_failed = rc != DB_OK;	/* every host was tried */
	return rc;
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
			b[i].buffer_length = out ? v[i].cap : v[i].len;
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

/* The prepared statement id on this connection, prepared now if need be
 * and checked against the table's counts; NULL after fail(). */
static MYSQL_STMT *
prepared(struct db *db, enum stmt_id id)
{
	MYSQL_STMT	*st;

	if (db->stmt[id] != NULL)
		return db->stmt[id];
	if ((st = mysql_stmt_init(db->conn)) == NULL) {
		fail(db, mysql_errno(db->conn), "stmt_init", mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(st, stmts[id].sql, strlen(stmts[id].sql)) != 0) {
		fail(db, mysql_stmt_errno(st), "prepare", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	if (mysql_stmt_param_count(st) != stmts[id].nparam ||
	    mysql_stmt_field_count(st) != stmts[id].nresult) {
		mysql_stmt_close(st);
		fail(db, 0, "prepare", "statement counts differ from the table");
		return NULL;
	}
	return db->stmt[id] = st;
}

/*
 * Runs statement id with the inputs bound; for a query, fetches the first
 * row into the outputs.  nin and nout must be the table's counts.  DB_OK,
 * DB_NOT_FOUND (query with no row), DB_CONFLICT (duplicate key),
 * DB_UNAVAILABLE or DB_ERROR.
 */
enum db_result
dbi_run(struct db *db, enum stmt_id id, struct val *in, size_t nin,
    struct val *outv, size_t nout, unsigned long long *affected)
{
	MYSQL_BIND	 bin[BIND_MAX], bout[BIND_MAX];
	MYSQL_STMT	*st;
	enum db_result	 rc;
	int		 r;

	if (nin != stmts[id].nparam || nout != stmts[id].nresult)
		return fail(db, 0, "bind", "value counts differ from the table");
	if ((rc = db_connect(db)) != DB_OK)
		return rc;
	if ((st = prepared(db, id)) == NULL)
		return db->conn == NULL ? DB_UNAVAILABLE : DB_ERROR;
	bind_vals(bin, in, nin, 0);
	if (nin > 0 && mysql_stmt_bind_param(st, bin) != 0)
		goto stmt_error;
	if (mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			fail(db, ER_DUP_ENTRY, "execute", "duplicate entry");
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
		return fail(db, 0, "fetch", "value longer than its buffer");
	return DB_OK;
stmt_error:
	rc = fail(db, mysql_stmt_errno(st), "execute", mysql_stmt_error(st));
	return rc;
}

/* A plain statement without parameters (transaction control). */
static enum db_result
simple(struct db *db, const char *sql)
{
	enum db_result	rc;

	if ((rc = db_connect(db)) != DB_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0)
		return fail(db, mysql_errno(db->conn), sql,
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
 *     once per host, and not when connecting itself failed (db_connect
 *     has tried every host by then);
 *   - after a deadlock, lock wait timeout or certification failure, at
 *     most cfg->db_retries times; if they persist the database is busy
 *     (DB_UNAVAILABLE: 503);
 * and never once COMMIT was sent on a connection that then broke: it may
 * have taken effect, and running the reset again would then answer as if
 * the code had been used by someone else.
 */
static enum db_result
with_reruns(struct db *db, enum db_result (*once)(struct db *, void *),
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

int
db_connected(const struct db *db)
{
	return db->conn != NULL;
}

enum db_result
db_open(struct db *db)
{
	begin_attempt(db);
	db->reruns = 0;
	return db_connect(db);
}

/* The arguments of a one-statement call. */
struct one_stmt {
	enum stmt_id		 id;
	struct val		*in, *out;
	size_t			 nin, nout;
	unsigned long long	*affected;
};

static enum db_result
one_stmt_once(struct db *db, void *arg)
{
	struct one_stmt	*a = arg;

	return dbi_run(db, a->id, a->in, a->nin, a->out, a->nout, a->affected);
}

/* One statement (autocommit) through the rerun rule. */
enum db_result
dbi_statement(struct db *db, enum stmt_id id, struct val *in, size_t nin,
    struct val *out, size_t nout, unsigned long long *affected)
{
	struct one_stmt	a = { id, in, out, nin, nout, affected };

	return with_reruns(db, one_stmt_once, &a);
}

enum db_result
db_find_code(struct db *db, const char *code_sha256,
    unsigned long long *code_id, unsigned long long *user_id,
    char *email, size_t emaillen)
{
	struct val	in[] = { TEXT_IN(code_sha256) };
	struct val	out[] = { U64(code_id), U64(user_id),
			    { V_TEXT, email, emaillen - 1, 0 } };
	enum db_result	rc;

	rc = dbi_statement(db, ST_FIND_CODE, in, NELEM(in), out, NELEM(out),
	    NULL);
	if (rc == DB_OK)
		email[out[2].len] = '\0';
	return rc;
}

enum db_result
db_check_code(struct db *db, const char *client_key, long window,
    const char *code_sha256, struct db_lookup *res, char *email,
    size_t emaillen)
{
	long long	w = window, left = 0;
	struct val	in[] = { TEXT_IN(client_key), I64(&w), I64(&w), I64(&w),
			    TEXT_IN(code_sha256 ? code_sha256 : "") };
	struct val	out[] = { U64(&res->failures), I64(&left),
			    U64(&res->code_id), U64(&res->user_id),
			    U64(&res->window_start),
			    { V_TEXT, email, emaillen - 1, 0 } };
	enum db_result	rc;
	int		i;

	memset(res, 0, sizeof(*res));
	if (pending_due(db))
		(void)flush_failures(db);	/* kept if it fails */
	rc = dbi_statement(db, ST_CHECK_CODE, in, NELEM(in), out, NELEM(out),
	    NULL);
	if (rc == DB_NOT_FOUND)		/* the statement always has a row */
		rc = fail(db, 0, "check", "no row");
	/* This process's own failures not yet written count too: the limit
	 * is exact within a process. */
	for (i = 0; i < db->npending; i++)
		if (strcmp(db->pending[i].key, client_key) == 0 &&
		    db->pending[i].window_start == res->window_start)
			res->failures += db->pending[i].failures;
	res->retry_after = left > 0 ? (long)left : 1;
	email[rc == DB_OK ? out[5].len : 0] = '\0';
	return rc;
}

/* The statements of the reset transaction. */
static enum db_result
reset_body(struct db *db, void *arg)
{
	const struct reset_write *w = arg;
	unsigned long long	 code_id = w->code_id, user_id = w->user_id;
	unsigned long long	 locked_user = 0, n = 0;
	long long		 access_ttl = db->cfg->access_token_lifetime;
	long long		 refresh_ttl = db->cfg->refresh_token_lifetime;
	struct val		 lock_in[] = { U64(&code_id) };
	struct val		 lock_out[] = { U64(&locked_user) };
	struct val		 pw_in[] = { TEXT_IN(w->password_record),
				    U64(&user_id) };
	struct val		 user_in[] = { U64(&user_id) };
	struct val		 tok_in[] = { U64(&user_id),
				    TEXT_IN(w->access_sha256),
				    TEXT_IN(w->refresh_sha256),
				    TEXT_IN(db->cfg->client_id),
				    TEXT_IN(db->cfg->scope),
				    I64(&access_ttl), I64(&refresh_ttl) };
	enum db_result		 rc;

	/* The row lock serialises every request holding this code on one
	 * server: the first to commit wins, the others find it used.  On a
	 * cluster, a request on another node that locked the same row loses
	 * at certification (1213), and its rerun finds the code used. */
	rc = dbi_run(db, ST_LOCK_CODE, lock_in, NELEM(lock_in), lock_out,
	    NELEM(lock_out), NULL);
	if (rc == DB_OK && locked_user != user_id)
		rc = DB_NOT_FOUND;
	if (rc == DB_OK)
		rc = dbi_run(db, ST_SET_PASSWORD, pw_in, NELEM(pw_in), NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		rc = DB_NOT_FOUND;	/* the user is gone */
	if (rc == DB_OK)
		rc = dbi_run(db, ST_END_CODES, user_in, NELEM(user_in), NULL, 0,
		    NULL);
	if (rc == DB_OK)
		rc = dbi_run(db, ST_REVOKE_TOKENS, user_in, NELEM(user_in), NULL, 0,
		    NULL);
	if (rc == DB_OK)
		rc = dbi_run(db, ST_INSERT_TOKEN, tok_in, NELEM(tok_in), NULL, 0,
		    NULL);
	if (rc == DB_CONFLICT)
		rc = DB_ERROR;	/* a 256-bit token collided: never expected */
	return rc;
}

/* One transaction: its statements (body) and a COMMIT, or a rollback. */
struct txn {
	enum db_result	(*body)(struct db *, void *);
	void		*arg;
};

static enum db_result
txn_once(struct db *db, void *arg)
{
	struct txn	*t = arg;
	enum db_result	 rc;

	if ((rc = simple(db, "START TRANSACTION")) != DB_OK)
		return rc;
	if ((rc = t->body(db, t->arg)) == DB_OK) {
		db->committing = 1;
		rc = simple(db, "COMMIT");
		/* A deadlock or certification failure at COMMIT was answered
		 * by the server: the transaction was rolled back, and the
		 * rerun rule may run it again.  Anything else: unknown state,
		 * start over on a new connection. */
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			db->committing = 0;
		else if (rc != DB_OK)
			db_disconnect(db);
		return rc;
	}
	if (db->conn != NULL && mysql_rollback(db->conn) != 0)
		db_disconnect(db);	/* unknown state: start over */
	return rc;
}

/* body as one transaction, through the rerun rule. */
enum db_result
dbi_transaction(struct db *db, enum db_result (*body)(struct db *, void *),
    void *arg)
{
	struct txn	t = { body, arg };

	return with_reruns(db, txn_once, &t);
}

enum db_result
db_commit_reset(struct db *db, const struct reset_write *w)
{
	return dbi_transaction(db, reset_body, (void *)(uintptr_t)w);
}

/* True when the pending failures should be written now: as many as
 * attempt_batch, or the oldest held PENDING_SECONDS. */
static int
pending_due(const struct db *db)
{
	struct timespec	now;

	if (db->npending == 0)
		return 0;
	if (db->pending_total >= (unsigned)db->cfg->attempt_batch)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - db->pending_since >= PENDING_SECONDS;
}

/* One attempt at writing the pending failures: each in this process's
 * own row, so nothing here waits for another process or conflicts with
 * another node.  One row alone is one autocommit statement; several are
 * one transaction, so that they cost one commit (one redo log flush, one
 * replication round) between them.  *created tells whether a row was
 * new (an update counts two affected rows). */
static enum db_result
flush_once(struct db *db, void *arg)
{
	int			*created = arg;
	unsigned long long	 n = 0;
	enum db_result		 rc = DB_OK;
	int			 i, several = db->npending > 1;

	*created = 0;
	if (several && (rc = simple(db, "START TRANSACTION")) != DB_OK)
		return rc;
	for (i = 0; i < db->npending && rc == DB_OK; i++) {
		struct pending	*p = &db->pending[i];
		struct val	 in[] = { TEXT_IN(p->key), U64(&p->window_start),
				    U64(&db->writer), U64(&p->failures) };

		rc = dbi_run(db, ST_ATTEMPT_ADD, in, NELEM(in), NULL, 0, &n);
		if (rc == DB_OK && n == 1)
			*created = 1;
	}
	if (!several)
		return rc;
	if (rc == DB_OK) {
		db->committing = 1;
		rc = simple(db, "COMMIT");
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			db->committing = 0;
		else if (rc != DB_OK)
			db_disconnect(db);
		return rc;
	}
	if (db->conn != NULL && mysql_rollback(db->conn) != 0)
		db_disconnect(db);
	return rc;
}

/*
 * Writes the pending failures.  Whatever the outcome they are dropped
 * (counting is best effort: a failure to count never changes an answer),
 * except when the database could not be reached before anything was
 * sent, when they are kept for the next try (up to PENDING_MAX).  Each
 * new row pays for deleting up to 16 rows of ended windows: the table
 * stays about as large as the current window's rows, with no cron job
 * and in CGI mode too.  Two nodes sweeping the same rows may conflict;
 * the loser's rows are gone anyway, so that is no error.
 */
static enum db_result
flush_failures(struct db *db)
{
	long long	w = db->cfg->attempt_window;
	struct val	sweep[] = { I64(&w), I64(&w) };
	enum db_result	rc;
	int		created = 0;

	rc = with_reruns(db, flush_once, &created);
	if (rc == DB_UNAVAILABLE && db->connect_failed)
		return rc;
	db->npending = 0;
	db->pending_total = 0;
	if (rc == DB_OK && created) {
		rc = dbi_statement(db, ST_ATTEMPT_SWEEP, sweep, NELEM(sweep), NULL,
		    0, NULL);
		if (rc == DB_UNAVAILABLE && db->last_errno == ER_LOCK_DEADLOCK)
			rc = DB_OK;
	}
	return rc;
}

enum db_result
db_attempt_failed(struct db *db, const char *client_key,
    const struct db_lookup *look)
{
	struct timespec	 now;
	struct pending	*p = NULL;
	int		 i;

	for (i = 0; i < db->npending; i++)
		if (strcmp(db->pending[i].key, client_key) == 0 &&
		    db->pending[i].window_start == look->window_start)
			p = &db->pending[i];
	if (p == NULL) {
		if (db->npending == PENDING_MAX || strlen(client_key) >=
		    sizeof(p->key))
			return fail(db, 0, "count", "too many failures pending");
		p = &db->pending[db->npending++];
		memcpy(p->key, client_key, strlen(client_key) + 1);
		p->window_start = look->window_start;
		p->failures = 0;
	}
	if (db->pending_total++ == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		db->pending_since = now.tv_sec;
	}
	p->failures++;
	return pending_due(db) ? flush_failures(db) : DB_OK;
}

enum db_result
db_create_user(struct db *db, const char *email, const char *password_record)
{
	struct val	in[] = { TEXT_IN(email), TEXT_IN(password_record) };

	return dbi_statement(db, ST_CREATE_USER, in, NELEM(in), NULL, 0, NULL);
}

enum db_result
db_issue_code(struct db *db, const char *email, const char *code_sha256,
    long ttl)
{
	long long		 t = ttl;
	unsigned long long	 n = 0;
	struct val		 in[] = { TEXT_IN(code_sha256), I64(&t),
				    TEXT_IN(email) };
	enum db_result		 rc;

	rc = dbi_statement(db, ST_ISSUE_CODE, in, NELEM(in), NULL, 0, &n);
	if (rc == DB_OK && n == 0)
		rc = DB_NOT_FOUND;
	return rc;
}

enum db_result
db_password_record(struct db *db, const char *email, char *out,
    size_t outlen)
{
	struct val	in[] = { TEXT_IN(email) };
	struct val	res[] = { { V_TEXT, out, outlen - 1, 0 } };
	enum db_result	rc;

	rc = dbi_statement(db, ST_PASSWORD_RECORD, in, NELEM(in), res, NELEM(res),
	    NULL);
	if (rc == DB_OK)
		out[res[0].len] = '\0';
	return rc;
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
	return with_reruns(db, ping_once, NULL);
}

void
db_preload_plugins(void)
{
	static const char *const names[] = {
		"caching_sha2_password", "sha256_password", "client_ed25519",
		"dialog", "mysql_clear_password",
	};
	MYSQL	*m;
	size_t	 i;

	if ((m = mysql_init(NULL)) == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mysql_client_find_plugin(m, names[i],
		    MYSQL_CLIENT_AUTHENTICATION_PLUGIN) == NULL)
			(void)mysql_load_plugin(m, names[i],
			    MYSQL_CLIENT_AUTHENTICATION_PLUGIN, 0);
	mysql_close(m);
}
