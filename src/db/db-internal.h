/*
 * db-internal.h: what the files of the database layer share (db.c, the
 * only code that touches the MYSQL handle, and db_mail.c, db_admin.c,
 * which run their statements through it).  Nothing else includes it.
 */
#ifndef AR_DB_INTERNAL_H
#define AR_DB_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "db/db.h"

/* The statements, by index; each prepared lazily on its connection. */
enum stmt_id {
	ST_FIND_CODE,
	ST_CHECK_CODE,
	ST_LOCK_CODE,
	ST_SET_PASSWORD,
	ST_END_CODES,
	ST_REVOKE_TOKENS,
	ST_INSERT_TOKEN,
	ST_CREATE_USER,
	ST_ISSUE_CODE,
	ST_PASSWORD_RECORD,
	ST_ATTEMPT_ADD,
	ST_ATTEMPT_SWEEP,
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
	/* The admin CLI. */
	ST_USER_ID,
	ST_NEXT_CODE,
	ST_REVOKE_CODES,
	ST_ATTEMPTS_SHOW,
	ST_ATTEMPTS_CLEAR,
	ST_COUNT
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
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Runs statement id with the inputs bound; for a query, fetches the first
 * row into the outputs.  nin and nout must be the statement table's
 * counts.  DB_OK, DB_NOT_FOUND (query with no row), DB_CONFLICT
 * (duplicate key), DB_UNAVAILABLE or DB_ERROR.  One attempt: callers in
 * a transaction body use it; others use dbi_statement.
 */
enum db_result dbi_run(struct db *db, enum stmt_id id, struct val *in,
    size_t nin, struct val *outv, size_t nout, unsigned long long *affected);

/* One statement (autocommit) through the rerun rule (db.c). */
enum db_result dbi_statement(struct db *db, enum stmt_id id, struct val *in,
    size_t nin, struct val *out, size_t nout, unsigned long long *affected);

/* body (its statements through dbi_run) as one transaction, committed or
 * rolled back, through the rerun rule. */
enum db_result dbi_transaction(struct db *db,
    enum db_result (*body)(struct db *, void *), void *arg);

#endif
