/*
 * db_admin.c: the admin CLI's statements (codes, tokens, attempt
 * counters), through db.c's statement runner and rerun rule.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"

/* The id of the user with this e-mail address. */
static enum db_result
user_id(struct db *db, const char *email, unsigned long long *id)
{
	struct val	in[] = { TEXT_IN(email) };
	struct val	out[] = { U64(id) };

	return dbi_statement(db, ST_USER_ID, in, NELEM(in), out, NELEM(out), NULL);
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
				    { V_TEXT, created, sizeof(created) - 1, 0 },
				    { V_TEXT, expires, sizeof(expires) - 1, 0 } };
	enum db_result		 rc;

	*count = 0;
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	while ((rc = dbi_statement(db, ST_NEXT_CODE, in, NELEM(in), out,
	    NELEM(out), NULL)) == DB_OK) {
		created[out[1].len] = '\0';
		expires[out[2].len] = '\0';
		each(arg, id, created, expires);
		(*count)++;
		after = id;
	}
	return rc == DB_NOT_FOUND ? DB_OK : rc;
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
	if ((rc = user_id(db, email, &uid)) != DB_OK)
		return rc;
	return dbi_statement(db, id, in, NELEM(in), NULL, 0, n);
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
	struct val		in[] = { I64(&w), I64(&w), I64(&w),
				    TEXT_IN(client_key), I64(&w), I64(&w) };
	struct val		out[] = { U64(&f), I64(&left) };
	enum db_result		rc;

	*failures = 0;
	*seconds_left = 0;
	rc = dbi_statement(db, ST_ATTEMPTS_SHOW, in, NELEM(in), out, NELEM(out),
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
	return dbi_statement(db, ST_ATTEMPTS_CLEAR, in, NELEM(in), NULL, 0, n);
}
