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
#include "metrics.h"

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
	ST_USER_ID,
	ST_LIST_CODES,
	ST_ATTEMPTS_CLEAR,
	ST_REVOKE_CODES,
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
	/* The admin CLI's statements. */
	[ST_USER_ID] =
	    "SELECT id FROM users WHERE email = ?",
	[ST_LIST_CODES] =
	    "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%SZ'), "
	    "DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%SZ') FROM reset_codes "
	    "WHERE user_id = ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6) ORDER BY id",
	[ST_ATTEMPTS_CLEAR] =
	    "DELETE FROM attempt_counters WHERE client_key = ?",
	[ST_REVOKE_CODES] =
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6)",
};

struct db {
	const struct config	*cfg;
	MYSQL			*conn;
	MYSQL_STMT		*stmt[ST_COUNT];
	int			 fresh;	/* connected during this call */
	int			 committing; /* COMMIT was sent */
	int			 was_connected; /* a connection was open before */
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
	/* Counted when a connection is opened again after one was lost
	 * (not the first, nor one dropped because it was in a bad state). */
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
			metrics_db_rerun();
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

/* ------------------------------------------------------------ admin */

/* The id of the user with this e-mail address. */
static enum db_result
user_id(struct db *db, const char *email, unsigned long long *id)
{
	struct val	in[] = { TEXT_IN(email) };
	struct val	out[] = { U64(id) };

	return run(db, ST_USER_ID, in, 1, out, 1, NULL);
}

enum db_result
db_list_codes(struct db *db, const char *email,
    void (*each)(void *arg, unsigned long long id, const char *created,
    const char *expires), void *arg, unsigned long long *count)
{
	unsigned long long	 uid = 0, id = 0;
	char			 created[32], expires[32];
	struct val		 in[] = { U64(&uid) };
	struct val		 out[] = { U64(&id),
				    { V_TEXT, created, sizeof(created) - 1, 0 },
				    { V_TEXT, expires, sizeof(expires) - 1, 0 } };
	MYSQL_BIND		 b[3];
	MYSQL_STMT		*st;
	enum db_result		 rc;
	int			 r;

	*count = 0;
	begin_call(db);
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	/* run() executes without fetching when asked for no outputs; the
	 * rows are then fetched here, one at a time. */
	if ((rc = run(db, ST_LIST_CODES, in, 1, NULL, 0, NULL)) != DB_OK)
		return rc;
	st = db->stmt[ST_LIST_CODES];
	bind_vals(b, out, 3, 1);
	if (mysql_stmt_bind_result(st, b) != 0 ||
	    mysql_stmt_store_result(st) != 0)
		return fail(db, mysql_stmt_errno(st), "execute",
		    mysql_stmt_error(st));
	while ((r = mysql_stmt_fetch(st)) == 0) {
		created[out[1].len < sizeof(created) ? out[1].len : 0] = '\0';
		expires[out[2].len < sizeof(expires) ? out[2].len : 0] = '\0';
		each(arg, id, created, expires);
		(*count)++;
	}
	mysql_stmt_free_result(st);
	if (r != MYSQL_NO_DATA)
		return fail(db, mysql_stmt_errno(st), "fetch",
		    mysql_stmt_error(st));
	return DB_OK;
}

/* Runs one of the per-user statements (ending codes, revoking tokens)
 * for the user with this address; *n gets the rows changed. */
static enum db_result
for_user(struct db *db, enum stmt_id id, const char *email,
    unsigned long long *n)
{
	unsigned long long	uid = 0;
	struct val		in[] = { U64(&uid) };
	enum db_result		rc;

	*n = 0;
	begin_call(db);
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	return run(db, id, in, 1, NULL, 0, n);
}

enum db_result
db_revoke_codes(struct db *db, const char *email, unsigned long long *n)
{
	return for_user(db, ST_REVOKE_CODES, email, n);
}

enum db_result
db_revoke_user_tokens(struct db *db, const char *email,
    unsigned long long *n)
{
	return for_user(db, ST_REVOKE_TOKENS, email, n);
}

enum db_result
db_attempts_show(struct db *db, const char *client_key, long window,
    long *failures, long *seconds_left)
{
	long long		w = window, left = 0;
	unsigned long long	f = 0;
	struct val		in[] = { I64(&w), TEXT_IN(client_key), I64(&w),
				    I64(&w) };
	struct val		out[] = { U64(&f), I64(&left) };
	enum db_result		rc;

	*failures = 0;
	*seconds_left = 0;
	begin_call(db);
	rc = run(db, ST_ATTEMPTS_GET, in, 4, out, 2, NULL);
	if (rc == DB_NOT_FOUND)
		return DB_OK;
	if (rc == DB_OK) {
		*failures = (long)f;
		*seconds_left = (long)left;
	}
	return rc;
}

enum db_result
db_attempts_clear(struct db *db, const char *client_key,
    unsigned long long *n)
{
	struct val	in[] = { TEXT_IN(client_key) };

	*n = 0;
	begin_call(db);
	return run(db, ST_ATTEMPTS_CLEAR, in, 1, NULL, 0, n);
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

enum db_result
db_ping(struct db *db)
{
	enum db_result	rc;

	begin_call(db);
	do
		rc = simple(db, "DO 1");
	while (retry_on_fresh(db, rc));
	return rc;
}
