/*
 * db_admin.c: the admin CLI's statements (codes, tokens, attempt
 * counters), through db.c's statement runner and rerun rule.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_admin.h"

enum {
	CREATE_USER,
	ISSUE_CODE,
	PASSWORD_RECORD,
	USER_ID,
	NEXT_CODE,
	REVOKE_CODES,
	REVOKE_TOKENS,
	ATTEMPTS_SHOW,
	ATTEMPTS_CLEAR,
	NSTMTS
};

static const struct stmt_def stmts[NSTMTS] = {
	[CREATE_USER] = {
	    "INSERT INTO users (email, password, created_at) "
	    "VALUES (?, ?, UTC_TIMESTAMP(6))", 2, 0 },
	[ISSUE_CODE] = {
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at) SELECT id, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users WHERE email = ?",
	    3, 0 },
	[PASSWORD_RECORD] = {
	    "SELECT password FROM users WHERE email = ?", 1, 1 },
	[USER_ID] = {
	    "SELECT id FROM users WHERE email = ?", 1, 1 },
	/* The user's open codes, one at a time in id order (after id ?). */
	[NEXT_CODE] = {
	    "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%SZ'), "
	    "DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%SZ') FROM reset_codes "
	    "WHERE user_id = ? AND id > ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6) ORDER BY id LIMIT 1", 2, 3 },
	[REVOKE_CODES] = {
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL "
	    "AND expires_at > UTC_TIMESTAMP(6)", 1, 0 },
	[REVOKE_TOKENS] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL", 1, 0 },
	/* Every writer's row of the client in the current window. */
	[ATTEMPTS_SHOW] = {
	    "SELECT IFNULL(SUM(failures), 0), CAST(UNIX_TIMESTAMP() DIV ? * ? "
	    "AS SIGNED) + ? - UNIX_TIMESTAMP() FROM attempt_failures "
	    "WHERE client_key = ? AND window_start = UNIX_TIMESTAMP() DIV ? * ?",
	    6, 2 },
	[ATTEMPTS_CLEAR] = {
	    "DELETE FROM attempt_failures WHERE client_key = ?", 1, 0 },
};

/* The id of the user with this e-mail address. */
static enum db_result
user_id(struct db *db, const char *email, unsigned long long *id)
{
	struct val	in[] = { TEXT_IN(email) };
	struct val	out[] = { U64(id) };

	return dbi_statement(db, &stmts[USER_ID], in, NELEM(in), out, NELEM(out), NULL);
}

enum db_result
db_list_codes(struct db *db, const char *email,
    void (*each)(void *arg, unsigned long long id, const char *created,
    const char *expires), void *arg, unsigned long long *count)
{
	unsigned long long	 uid = 0, after = 0, id = 0;
	char			 created[32], expires[32];
	struct val		 in[] = { U64(&uid), U64(&after) };
	struct val		 out[] = { U64(&id),
				    TEXT_OUT(created, sizeof(created)),
				    TEXT_OUT(expires, sizeof(expires)) };
	enum db_result		 rc;

	*count = 0;
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	while ((rc = dbi_statement(db, &stmts[NEXT_CODE], in, NELEM(in), out,
	    NELEM(out), NULL)) == DB_OK) {
		each(arg, id, created, expires);
		(*count)++;
		after = id;
	}
	return rc == DB_NOT_FOUND ? DB_OK : rc;
}

/* Runs one of the per-user statements (ending codes, revoking tokens)
 * for the user with this address; *n gets the rows changed. */
static enum db_result
for_user(struct db *db, const struct stmt_def *st, const char *email,
    unsigned long long *n)
{
	unsigned long long	uid = 0;
	struct val		in[] = { U64(&uid) };
	enum db_result		rc;

	*n = 0;
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	return dbi_statement(db, st, in, NELEM(in), NULL, 0, n);
}

enum db_result
db_revoke_codes(struct db *db, const char *email, unsigned long long *n)
{
	return for_user(db, &stmts[REVOKE_CODES], email, n);
}

enum db_result
db_revoke_user_tokens(struct db *db, const char *email,
    unsigned long long *n)
{
	return for_user(db, &stmts[REVOKE_TOKENS], email, n);
}

enum db_result
db_attempts_show(struct db *db, const char *client_key, long window,
    long *failures, long *seconds_left)
{
	long long		w = window, left = 0;
	unsigned long long	f = 0;
	struct val		in[] = { I64(&w), I64(&w), I64(&w),
				    TEXT_IN(client_key), I64(&w), I64(&w) };
	struct val		out[] = { U64(&f), I64(&left) };
	enum db_result		rc;

	*failures = 0;
	*seconds_left = 0;
	rc = dbi_statement(db, &stmts[ATTEMPTS_SHOW], in, NELEM(in), out, NELEM(out),
	    NULL);
	if (rc == DB_OK) {
		*failures = (long)f;
		*seconds_left = f > 0 ? (long)left : 0;
	}
	return rc;
}

enum db_result
db_attempts_clear(struct db *db, const char *client_key,
    unsigned long long *n)
{
	struct val	in[] = { TEXT_IN(client_key) };

	*n = 0;
	return dbi_statement(db, &stmts[ATTEMPTS_CLEAR], in, NELEM(in), NULL, 0, n);
}

enum db_result
db_create_user(struct db *db, const char *email, const char *password_record)
{
	struct val	in[] = { TEXT_IN(email), TEXT_IN(password_record) };

	return dbi_statement(db, &stmts[CREATE_USER], in, NELEM(in), NULL, 0, NULL);
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

	rc = dbi_statement(db, &stmts[ISSUE_CODE], in, NELEM(in), NULL, 0, &n);
	if (rc == DB_OK && n == 0)
		rc = DB_NOT_FOUND;
	return rc;
}

enum db_result
db_password_record(struct db *db, const char *email, char *out,
    size_t outlen)
{
	struct val	in[] = { TEXT_IN(email) };
	struct val	res[] = { TEXT_OUT(out, outlen) };

	return dbi_statement(db, &stmts[PASSWORD_RECORD], in, NELEM(in), res,
	    NELEM(res), NULL);
}
