/*
 * db.c: the only code that touches the MYSQL handle.
 *
 * One connection per process, opened on first use and kept; every
 * statement is prepared once per connection and only ever binds values,
 * so no request data is ever part of SQL text.  A lost connection is
 * dropped and reopened on the next call; a call that finds its kept
 * connection dead reconnects and tries once more before it reports the
 * database unavailable.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

/* From mysql/client_plugin.h, which MariaDB Connector/C 3.3 installs
 * unusable (it includes a header it does not install). */
#ifndef MYSQL_CLIENT_AUTHENTICATION_PLUGIN
#define MYSQL_CLIENT_AUTHENTICATION_PLUGIN	2
#endif

#include "db.h"
#include "log.h"

/* The statements, by index; each prepared lazily on its connection. */
enum stmt_id {
	ST_FIND_CODE,
	ST_LOCK_CODE,
	ST_SET_PASSWORD,
	ST_END_CODES,
	ST_REVOKE_TOKENS,
	ST_INSERT_TOKEN,
	ST_CREATE_USER,
	ST_ISSUE_CODE,
	ST_PASSWORD_RECORD,
	ST_ATTEMPTS_GET,
	ST_ATTEMPTS_ADD,
	ST_ATTEMPTS_SWEEP,
	/* The recover endpoint and the mailer (mail_queue). */
	ST_RECOVER_COUNT,
	ST_RECOVER_ENQUEUE,
	ST_MQ_CLAIM,
	ST_MQ_LEASED,
	ST_MQ_LEASED_ADDRESS,
	ST_MQ_USER_LOCK,
	ST_MQ_CAPS_USER,
	ST_MQ_CAPS_ADDRESS,
	ST_MQ_CODE,
	ST_MQ_RESERVE_USER,
	ST_MQ_RESERVE_ADDRESS,
	ST_MQ_END_CODE,
	ST_MQ_FINISH,
	ST_MQ_RETRY,
	ST_MQ_WIPE,
	ST_MQ_STATE_COUNT,
	ST_MQ_REQUEUE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	/* The e-mail is for the password's context check (policy.h). */
	[ST_FIND_CODE] =
	    "SELECT c.id, c.user_id, u.email FROM reset_codes c "
	    "JOIN users u ON u.id = c.user_id WHERE c.code_sha256 = ? "
	    "AND c.used_at IS NULL AND c.expires_at > UTC_TIMESTAMP(6)",
	[ST_LOCK_CODE] =
	    "SELECT user_id FROM reset_codes WHERE id = ? "
	    "AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6) FOR UPDATE",
	[ST_SET_PASSWORD] =
	    "UPDATE users SET password = ?, password_changed_at = "
	    "UTC_TIMESTAMP(6) WHERE id = ?",
	[ST_END_CODES] =
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL",
	[ST_REVOKE_TOKENS] =
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL",
	[ST_INSERT_TOKEN] =
	    "INSERT INTO tokens (user_id, access_sha256, refresh_sha256, "
	    "client_id, scope, created_at, access_expires_at, "
	    "refresh_expires_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
	[ST_CREATE_USER] =
	    "INSERT INTO users (email, password, created_at) "
	    "VALUES (?, ?, UTC_TIMESTAMP(6))",
	[ST_ISSUE_CODE] =
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at) SELECT id, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users WHERE email = ?",
	[ST_PASSWORD_RECORD] =
	    "SELECT password FROM users WHERE email = ?",
	/* Windows are aligned on the database's clock, so that every worker
	 * on every host counts in the same window. */
	[ST_ATTEMPTS_GET] =
	    "SELECT failures, CAST(window_start AS SIGNED) + ? - "
	    "UNIX_TIMESTAMP() FROM attempt_counters WHERE client_key = ? "
	    "AND window_start = UNIX_TIMESTAMP() DIV ? * ?",
	[ST_ATTEMPTS_ADD] =
	    "INSERT INTO attempt_counters (client_key, window_start, failures) "
	    "VALUES (?, UNIX_TIMESTAMP() DIV ? * ?, 1) "
	    "ON DUPLICATE KEY UPDATE failures = failures + 1",
	[ST_ATTEMPTS_SWEEP] =
	    "DELETE FROM attempt_counters WHERE window_start < "
	    "UNIX_TIMESTAMP() - ? LIMIT 16",
	/* The client's rows in the window, and when the oldest leaves it
	 * (Retry-After).  A plain consistent read: no locks (docs/MAILER.md
	 * says why this is not one INSERT ... SELECT). */
	[ST_RECOVER_COUNT] =
	    "SELECT COUNT(*), COALESCE(CEIL(TIMESTAMPDIFF(MICROSECOND, "
	    "UTC_TIMESTAMP(6), MIN(created_at) + INTERVAL ? SECOND) / 1000000), "
	    "1) FROM mail_queue WHERE client_key = ? AND created_at > "
	    "UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
	/* One INSERT answers every valid recover request; no user lookup. */
	[ST_RECOVER_ENQUEUE] =
	    "INSERT INTO mail_queue (request_id, client_key, email, locale, "
	    "created_at, enqueued_at, due_at) VALUES (?, ?, ?, ?, "
	    "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
	/* A lease: the row is the mailer's until due_at, then anyone's. */
	/* id = LAST_INSERT_ID(id): the session learns which row it took,
	 * without an index on lease_token. */
	[ST_MQ_CLAIM] =
	    "UPDATE mail_queue SET lease_token = ?, attempts = attempts + 1, "
	    "due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "id = LAST_INSERT_ID(id) "
	    "WHERE state = 'queued' AND due_at <= UTC_TIMESTAMP(6) "
	    "ORDER BY due_at LIMIT 1",
	[ST_MQ_LEASED] =
	    "SELECT id, attempts, TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6)), request_id FROM mail_queue "
	    "WHERE id = LAST_INSERT_ID() AND lease_token = ?",
	[ST_MQ_LEASED_ADDRESS] =
	    "SELECT COALESCE(email, ''), locale FROM mail_queue WHERE id = ?",
	/* The account's row lock serialises every mailer deciding about
	 * this account, so the caps hold across mailers. */
	[ST_MQ_USER_LOCK] =
	    "SELECT id, email FROM users WHERE email = ? FOR UPDATE",
	[ST_MQ_CAPS_USER] =
	    "SELECT COUNT(*), COALESCE(MAX(reserved_at) > UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND, 0) FROM mail_queue WHERE user_id = ? AND "
	    "reserved_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY AND "
	    "state IN ('queued', 'sent') AND id <> ?",
	[ST_MQ_CAPS_ADDRESS] =
	    "SELECT COUNT(*), COALESCE(MAX(reserved_at) > UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND, 0) FROM mail_queue WHERE user_id IS NULL AND "
	    "reserved_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY AND email = ? "
	    "AND state IN ('queued', 'sent') AND id <> ?",
	[ST_MQ_CODE] =
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at) VALUES (?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
	[ST_MQ_RESERVE_USER] =
	    "UPDATE mail_queue SET user_id = ?, reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = LAST_INSERT_ID() WHERE id = ? AND lease_token = ?",
	[ST_MQ_RESERVE_ADDRESS] =
	    "UPDATE mail_queue SET reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = NULL WHERE id = ? AND lease_token = ?",
	/* A code that was not delivered ends at once. */
	[ST_MQ_END_CODE] =
	    "UPDATE reset_codes c JOIN mail_queue q ON q.code_id = c.id "
	    "SET c.used_at = UTC_TIMESTAMP(6) WHERE q.id = ? AND "
	    "q.lease_token = ? AND c.used_at IS NULL",
	[ST_MQ_FINISH] =
	    "UPDATE mail_queue SET state = ?, user_id = COALESCE(NULLIF(?, 0), "
	    "user_id), smtp_status = NULLIF(?, 0), finished_at = "
	    "UTC_TIMESTAMP(6), lease_token = NULL WHERE id = ? AND "
	    "lease_token = ?",
	[ST_MQ_RETRY] =
	    "UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "smtp_status = NULLIF(?, 0), lease_token = NULL "
	    "WHERE id = ? AND lease_token = ?",
	[ST_MQ_WIPE] =
	    "UPDATE mail_queue SET email = NULL, client_key = '' WHERE "
	    "created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND AND "
	    "(email IS NOT NULL OR client_key <> '') LIMIT 500",
	[ST_MQ_STATE_COUNT] =
	    "SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6))), 0) FROM mail_queue WHERE state = ?",
	[ST_MQ_REQUEUE] =
	    "UPDATE mail_queue SET state = 'queued', due_at = UTC_TIMESTAMP(6), "
	    "enqueued_at = UTC_TIMESTAMP(6), lease_token = NULL, attempts = 0, "
	    "smtp_status = NULL, finished_at = NULL "
	    "WHERE id = ? AND state <> 'queued' AND email IS NOT NULL",
};

struct db {
	const struct config	*cfg;
	MYSQL			*conn;
	MYSQL_STMT		*stmt[ST_COUNT];
	int			 fresh;	/* connected during this call */
	int			 committing; /* COMMIT was sent */
	const char		*request_id; /* for log lines */
	unsigned		 last_errno;
	char			 last_error[256];
};

/* One value to bind, in or out. */
struct val {
	enum { V_TEXT, V_U64, V_I64 } type;
	void		*p;		/* char buffer or the integer */
	size_t		 cap;		/* text buffer size (out) */
	unsigned long	 len;		/* text length */
};

#define TEXT_IN(s)	{ V_TEXT, (void *)(uintptr_t)(s), 0, (unsigned long)strlen(s) }
#define U64(x)		{ V_U64, (x), 0, 0 }
#define I64(x)		{ V_I64, (x), 0, 0 }

struct db *
db_new(const struct config *cfg)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->cfg = cfg;
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

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db);
}

const char *
db_last_error(const struct db *db)
{
	return db->last_error;
}

/* Errors that mean the server cannot be reached or went away. */
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
	case 1040:	/* ER_CON_COUNT_ERROR: too many connections */
	case 1053:	/* ER_SERVER_SHUTDOWN */
	case 1927:	/* ER_CONNECTION_KILLED (MariaDB) */
	case 4031:	/* ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8) */
		return 1;
	}
	return 0;
}

/* Deadlock and lock wait timeout: the transaction may simply be rerun. */
static int
is_retryable(unsigned e)
{
	return e == 1213 || e == 1205;
}

/* Records an error and classifies it; a lost connection is dropped. */
static enum db_result
fail(struct db *db, unsigned e, const char *what, const char *msg)
{
	db->last_errno = e;
	snprintf(db->last_error, sizeof(db->last_error), "%s: %u %s", what, e,
	    msg);
	if (is_unavailable(e) || db->conn == NULL) {
		db_disconnect(db);
		return DB_UNAVAILABLE;
	}
	return DB_ERROR;
}

static enum db_result
db_connect(struct db *db)
{
	const struct config	*cfg = db->cfg;
	unsigned int		 ct, rt, wt;
	unsigned		 e;
	char			 msg[200];

	if (db->conn != NULL)
		return DB_OK;
	db->fresh = 1;	/* whatever happens now is a fresh attempt */
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
	if (mysql_real_connect(db->conn, NULL, NULL, NULL, NULL, 0, NULL,
	    0) == NULL) {
		e = mysql_errno(db->conn);
		snprintf(msg, sizeof(msg), "%s", mysql_error(db->conn));
		mysql_close(db->conn);
		db->conn = NULL;
		return fail(db, e, "connect", msg);
	}
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

/*
 * Runs statement id with the inputs bound; for a query, fetches the first
 * row into the outputs.  DB_OK, DB_NOT_FOUND (query with no row),
 * DB_CONFLICT (duplicate key), DB_UNAVAILABLE or DB_ERROR.
 */
static enum db_result
run(struct db *db, enum stmt_id id, struct val *in, size_t nin,
    struct val *outv, size_t nout, unsigned long long *affected)
{
	MYSQL_BIND	 bin[8], bout[4];
	MYSQL_STMT	*st;
	enum db_result	 rc;
	int		 r;

	if ((rc = db_connect(db)) != DB_OK)
		return rc;
	if (db->stmt[id] == NULL) {
		if ((st = mysql_stmt_init(db->conn)) == NULL)
			return fail(db, mysql_errno(db->conn), "stmt_init",
			    mysql_error(db->conn));
		if (mysql_stmt_prepare(st, stmt_sql[id],
		    strlen(stmt_sql[id])) != 0) {
			rc = fail(db, mysql_stmt_errno(st), "prepare",
			    mysql_stmt_error(st));
			mysql_stmt_close(st);
			return rc;
		}
		db->stmt[id] = st;
	}
	st = db->stmt[id];
	bind_vals(bin, in, nin, 0);
	if (nin > 0 && mysql_stmt_bind_param(st, bin) != 0)
		goto stmt_error;
	if (mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == 1062) {	/* ER_DUP_ENTRY */
			fail(db, 1062, "execute", "duplicate entry");
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

/* Starts a call: notes whether the connection is new, so that a dead kept
 * connection can be retried once on a fresh one. */
static void
begin_call(struct db *db)
{
	db->fresh = 0;
	db->committing = 0;
	db->last_errno = 0;
	db->last_error[0] = '\0';
}

/* True when a call that failed as unavailable ran on a connection kept
 * from before and may be tried again on a new one.  Never after COMMIT
 * was sent: it may have taken effect, and running the transaction again
 * would then answer as if the code had been used by someone else. */
static int
retry_on_fresh(struct db *db, enum db_result rc)
{
	if (rc != DB_UNAVAILABLE || db->fresh || db->committing)
		return 0;
	begin_call(db);
	return 1;
}

void
db_set_request(struct db *db, const char *request_id)
{
	db->request_id = request_id;
}

int
db_connected(const struct db *db)
{
	return db->conn != NULL;
}

enum db_result
db_open(struct db *db)
{
	begin_call(db);
	return db_connect(db);
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

	begin_call(db);
	do
		rc = run(db, ST_FIND_CODE, in, 1, out, 3, NULL);
	while (retry_on_fresh(db, rc));
	if (rc == DB_OK)
		email[out[2].len] = '\0';
	return rc;
}

/* One attempt at the reset transaction. */
static enum db_result
reset_once(struct db *db, const struct reset_write *w)
{
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

	if ((rc = simple(db, "START TRANSACTION")) != DB_OK)
		return rc;
	/* The row lock serialises every request holding this code: the
	 * first to commit wins, the others find it used. */
	rc = run(db, ST_LOCK_CODE, lock_in, 1, lock_out, 1, NULL);
	if (rc == DB_OK && locked_user != user_id)
		rc = DB_NOT_FOUND;
	if (rc == DB_OK)
		rc = run(db, ST_SET_PASSWORD, pw_in, 2, NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		rc = DB_NOT_FOUND;	/* the user is gone */
	if (rc == DB_OK)
		rc = run(db, ST_END_CODES, user_in, 1, NULL, 0, NULL);
	if (rc == DB_OK)
		rc = run(db, ST_REVOKE_TOKENS, user_in, 1, NULL, 0, NULL);
	if (rc == DB_OK)
		rc = run(db, ST_INSERT_TOKEN, tok_in, 7, NULL, 0, NULL);
	if (rc == DB_CONFLICT)
		rc = DB_ERROR;	/* a 256-bit token collided: never expected */
	if (rc == DB_OK) {
		db->committing = 1;
		if ((rc = simple(db, "COMMIT")) != DB_OK)
			db_disconnect(db);	/* unknown state: start over */
		return rc;
	}
	if (db->conn != NULL && mysql_rollback(db->conn) != 0)
		db_disconnect(db);	/* unknown state: start over */
	return rc;
}

enum db_result
db_commit_reset(struct db *db, const struct reset_write *w)
{
	enum db_result	rc;
	int		tries = 0;

	begin_call(db);
	for (;;) {
		rc = reset_once(db, w);
		if (retry_on_fresh(db, rc))
			continue;
		if (rc == DB_ERROR && is_retryable(db->last_errno) &&
		    tries++ < db->cfg->db_retries) {
			log_msg("request id=%s reset transaction: %s; retrying",
			    db->request_id ? db->request_id : "-",
			    db->last_error);
			begin_call(db);
			continue;
		}
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			rc = DB_UNAVAILABLE;	/* contention: try later */
		return rc;
	}
}

enum db_result
db_attempts_over(struct db *db, const char *client_key, long window,
    int limit, int *over, long *retry_after)
{
	long long		w = window, left = 0;
	unsigned long long	failures = 0;
	struct val		in[] = { I64(&w), TEXT_IN(client_key), I64(&w),
				    I64(&w) };
	struct val		out[] = { U64(&failures), I64(&left) };
	enum db_result		rc;

	*over = 0;
	begin_call(db);
	do
		rc = run(db, ST_ATTEMPTS_GET, in, 4, out, 2, NULL);
	while (retry_on_fresh(db, rc));
	if (rc == DB_NOT_FOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	if (failures >= (unsigned long long)limit) {
		*over = 1;
		*retry_after = left > 0 ? (long)left : 1;
	}
	return DB_OK;
}

enum db_result
db_attempt_failed(struct db *db, const char *client_key, long window)
{
	long long		w = window;
	unsigned long long	n = 0;
	struct val		in[] = { TEXT_IN(client_key), I64(&w), I64(&w) };
	struct val		sweep[] = { I64(&w) };
	enum db_result		rc;

	begin_call(db);
	do
		rc = run(db, ST_ATTEMPTS_ADD, in, 3, NULL, 0, &n);
	while (retry_on_fresh(db, rc));
	/* Each new row (one affected row; an update counts two) pays for
	 * deleting up to 16 rows of ended windows: the table stays about
	 * as large as the set of clients failing in the current window,
	 * with no cron job and in CGI mode too. */
	if (rc == DB_OK && n == 1)
		rc = run(db, ST_ATTEMPTS_SWEEP, sweep, 1, NULL, 0, NULL);
	return rc;
}

enum db_result
db_create_user(struct db *db, const char *email, const char *password_record)
{
	struct val	in[] = { TEXT_IN(email), TEXT_IN(password_record) };

	begin_call(db);
	return run(db, ST_CREATE_USER, in, 2, NULL, 0, NULL);
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

	begin_call(db);
	rc = run(db, ST_ISSUE_CODE, in, 3, NULL, 0, &n);
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

	begin_call(db);
	rc = run(db, ST_PASSWORD_RECORD, in, 1, res, 1, NULL);
	if (rc == DB_OK)
		out[res[0].len] = '\0';
	return rc;
}

/* ---------------------------------------------- recover and the mailer */

/* Runs one statement as a call of its own: a dead kept connection is
 * retried once on a fresh one, a deadlock or lock wait timeout up to
 * db_retries times (then DB_UNAVAILABLE: contention, try later). */
static enum db_result
run_call(struct db *db, enum stmt_id id, struct val *in, size_t nin,
    struct val *outv, size_t nout, unsigned long long *affected)
{
	enum db_result	rc;
	int		tries = 0;

	begin_call(db);
	for (;;) {
		rc = run(db, id, in, nin, outv, nout, affected);
		if (retry_on_fresh(db, rc))
			continue;
		if (rc == DB_ERROR && is_retryable(db->last_errno) &&
		    tries++ < db->cfg->db_retries) {
			begin_call(db);
			continue;
		}
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			rc = DB_UNAVAILABLE;
		return rc;
	}
}

enum db_result
db_recover_enqueue(struct db *db, const char *request_id,
    const char *client_key, const char *email, const char *locale,
    long window, int limit, int *limited, long *retry_after)
{
	long long		 w = window, left = 1;
	unsigned long long	 count = 0;
	struct val		 in[] = { TEXT_IN(request_id), TEXT_IN(client_key),
				    TEXT_IN(email), TEXT_IN(locale) };
	struct val		 cnt_in[] = { I64(&w), TEXT_IN(client_key), I64(&w) };
	struct val		 cnt_out[] = { U64(&count), I64(&left) };
	enum db_result		 rc;

	*limited = 0;
	if (limit > 0 && client_key[0] != '\0') {
		rc = run_call(db, ST_RECOVER_COUNT, cnt_in, 3, cnt_out, 2, NULL);
		if (rc != DB_OK)
			return rc;
		if (count >= (unsigned long long)limit) {
			*limited = 1;
			*retry_after = left > 0 ? (long)left : 1;
			return DB_OK;
		}
	}
	return run_call(db, ST_RECOVER_ENQUEUE, in, 4, NULL, 0, NULL);
}

enum db_result
db_mail_claim(struct db *db, long lease_seconds, struct mail_job *job)
{
	long long		 lease = lease_seconds;
	unsigned long long	 n = 0;
	struct val		 claim_in[] = { TEXT_IN(job->lease), I64(&lease) };
	struct val		 lease_in[] = { TEXT_IN(job->lease) };
	struct val		 lease_out[] = { U64(&job->id), U64(&job->attempts),
				    I64(&job->age),
				    { V_TEXT, job->request_id,
				      sizeof(job->request_id) - 1, 0 } };
	struct val		 addr_in[] = { U64(&job->id) };
	struct val		 addr_out[] = {
				    { V_TEXT, job->email, sizeof(job->email) - 1, 0 },
				    { V_TEXT, job->locale, sizeof(job->locale) - 1, 0 } };
	enum db_result		 rc;

	rc = run_call(db, ST_MQ_CLAIM, claim_in, 2, NULL, 0, &n);
	if (rc != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOT_FOUND;
	rc = run_call(db, ST_MQ_LEASED, lease_in, 1, lease_out, 4, NULL);
	if (rc != DB_OK)
		return rc;
	job->request_id[lease_out[3].len] = '\0';
	rc = run_call(db, ST_MQ_LEASED_ADDRESS, addr_in, 1, addr_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	job->email[addr_out[0].len] = '\0';
	job->locale[addr_out[1].len] = '\0';
	return DB_OK;
}

/* Runs one attempt of a transaction (once) with reruns as
 * db_commit_reset has them. */
static enum db_result
transaction(struct db *db, enum db_result (*once)(struct db *, void *),
    void *arg, const char *what)
{
	enum db_result	rc;
	int		tries = 0;

	begin_call(db);
	for (;;) {
		if ((rc = simple(db, "START TRANSACTION")) == DB_OK)
			rc = once(db, arg);
		if (rc == DB_OK) {
			db->committing = 1;
			if ((rc = simple(db, "COMMIT")) != DB_OK)
				db_disconnect(db);
		} else if (db->conn != NULL && mysql_rollback(db->conn) != 0)
			db_disconnect(db);
		if (retry_on_fresh(db, rc))
			continue;
		if (rc == DB_ERROR && is_retryable(db->last_errno) &&
		    tries++ < db->cfg->db_retries) {
			log_msg("request id=%s %s: %s; retrying",
			    db->request_id ? db->request_id : "-", what,
			    db->last_error);
			begin_call(db);
			continue;
		}
		if (rc == DB_ERROR && is_retryable(db->last_errno))
			rc = DB_UNAVAILABLE;
		return rc;
	}
}

struct reserve_args {
	const struct mail_job	*job;
	const char		*code_sha256;
	long long		 code_ttl, interval;
	int			 daily_limit;
	char			*rcpt;
	size_t			 rcptlen;
	unsigned long long	 user_id;
	enum mail_reserve	 result;
};

/* A decision that is no error ends the transaction with a commit; the
 * cases that write nothing (the lease lost, no such user) roll back. */
static enum db_result
reserve_account_once(struct db *db, void *arg)
{
	struct reserve_args	*a = arg;
	unsigned long long	 count = 0, id = a->job->id, n = 0;
	unsigned long long	*user_id = &a->user_id;
	long long		 recent = 0;
	struct val		 lock_in[] = { TEXT_IN(a->job->email) };
	struct val		 lock_out[] = { U64(user_id),
				    { V_TEXT, a->rcpt, a->rcptlen - 1, 0 } };
	struct val		 caps_in[] = { I64(&a->interval), U64(user_id),
				    U64(&id) };
	struct val		 caps_out[] = { U64(&count), I64(&recent) };
	struct val		 code_in[] = { U64(user_id),
				    TEXT_IN(a->code_sha256), I64(&a->code_ttl) };
	struct val		 res_in[] = { U64(user_id), U64(&id),
				    TEXT_IN(a->job->lease) };
	enum db_result		 rc;

	a->result = RESERVE_LOST;
	rc = run(db, ST_MQ_USER_LOCK, lock_in, 1, lock_out, 2, NULL);
	if (rc == DB_NOT_FOUND) {
		a->result = RESERVE_UNKNOWN;
		return DB_NOT_FOUND;	/* nothing written: roll back */
	}
	if (rc != DB_OK)
		return rc;
	a->rcpt[lock_out[1].len] = '\0';
	rc = run(db, ST_MQ_CAPS_USER, caps_in, 3, caps_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)a->daily_limit) {
		a->result = RESERVE_SUPPRESSED;
		return DB_OK;	/* the caller records it */
	}
	if ((rc = run(db, ST_MQ_CODE, code_in, 3, NULL, 0, NULL)) != DB_OK)
		return rc == DB_CONFLICT ? DB_ERROR : rc;
	if ((rc = run(db, ST_MQ_RESERVE_USER, res_in, 3, NULL, 0, &n)) != DB_OK)
		return rc;
	if (n != 1)
		return DB_NOT_FOUND;	/* the lease ran out: roll back */
	a->result = RESERVE_SEND;
	return DB_OK;
}

enum db_result
db_mail_reserve_account(struct db *db, const struct mail_job *job,
    const char *code_sha256, long code_ttl, long interval, int daily_limit,
    char *rcpt, size_t rcptlen, unsigned long long *user_id_out,
    enum mail_reserve *result)
{
	struct reserve_args	a = { job, code_sha256, code_ttl, interval,
				    daily_limit, rcpt, rcptlen, 0, RESERVE_LOST };
	enum db_result		rc;

	rc = transaction(db, reserve_account_once, &a, "reserving a mail");
	*result = a.result;
	*user_id_out = a.result == RESERVE_UNKNOWN ? 0 : a.user_id;
	if (rc == DB_NOT_FOUND)
		return DB_OK;	/* unknown account or lease lost: decided */
	return rc;
}

enum db_result
db_mail_reserve_address(struct db *db, const struct mail_job *job,
    long interval, int daily_limit, enum mail_reserve *result)
{
	unsigned long long	 count = 0, id = job->id, n = 0;
	long long		 iv = interval, recent = 0;
	struct val		 caps_in[] = { I64(&iv), TEXT_IN(job->email),
				    U64(&id) };
	struct val		 caps_out[] = { U64(&count), I64(&recent) };
	struct val		 res_in[] = { U64(&id), TEXT_IN(job->lease) };
	enum db_result		 rc;

	*result = RESERVE_LOST;
	rc = run_call(db, ST_MQ_CAPS_ADDRESS, caps_in, 3, caps_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)daily_limit) {
		*result = RESERVE_SUPPRESSED;
		return DB_OK;
	}
	rc = run_call(db, ST_MQ_RESERVE_ADDRESS, res_in, 2, NULL, 0, &n);
	if (rc == DB_OK)
		*result = n == 1 ? RESERVE_SEND : RESERVE_LOST;
	return rc;
}

enum db_result
db_mail_finish(struct db *db, const struct mail_job *job, const char *state,
    unsigned long long user_id, long smtp_status, int end_code, int *lost)
{
	unsigned long long	 id = job->id, uid = user_id, n = 0;
	long long		 st = smtp_status;
	struct val		 end_in[] = { U64(&id), TEXT_IN(job->lease) };
	struct val		 in[] = { TEXT_IN(state), U64(&uid), I64(&st),
				    U64(&id), TEXT_IN(job->lease) };
	enum db_result		 rc;

	*lost = 0;
	if (end_code && (rc = run_call(db, ST_MQ_END_CODE, end_in, 2, NULL, 0,
	    NULL)) != DB_OK)
		return rc;
	rc = run_call(db, ST_MQ_FINISH, in, 5, NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		*lost = 1;
	return rc;
}

enum db_result
db_mail_retry(struct db *db, const struct mail_job *job, long delay,
    long smtp_status, int *lost)
{
	unsigned long long	 id = job->id, n = 0;
	long long		 d = delay, st = smtp_status;
	struct val		 end_in[] = { U64(&id), TEXT_IN(job->lease) };
	struct val		 in[] = { I64(&d), I64(&st), U64(&id),
				    TEXT_IN(job->lease) };
	enum db_result		 rc;

	*lost = 0;
	if ((rc = run_call(db, ST_MQ_END_CODE, end_in, 2, NULL, 0, NULL)) != DB_OK)
		return rc;
	rc = run_call(db, ST_MQ_RETRY, in, 4, NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		*lost = 1;
	return rc;
}

enum db_result
db_mail_wipe(struct db *db, long retention, unsigned long long *wiped)
{
	long long	r = retention;
	struct val	in[] = { I64(&r) };

	*wiped = 0;
	return run_call(db, ST_MQ_WIPE, in, 1, NULL, 0, wiped);
}

enum db_result
db_mail_state_count(struct db *db, const char *state,
    unsigned long long *count, long long *oldest_seconds)
{
	struct val	in[] = { TEXT_IN(state) };
	struct val	out[] = { U64(count), I64(oldest_seconds) };

	return run_call(db, ST_MQ_STATE_COUNT, in, 1, out, 2, NULL);
}

enum db_result
db_mail_requeue(struct db *db, unsigned long long id)
{
	unsigned long long	n = 0;
	struct val		in[] = { U64(&id) };
	enum db_result		rc;

	rc = run_call(db, ST_MQ_REQUEUE, in, 1, NULL, 0, &n);
	if (rc == DB_OK && n == 0)
		rc = DB_NOT_FOUND;
	return rc;
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
