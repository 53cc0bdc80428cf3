/*
 * db_attempts.c: counting failed code attempts (attempt_limit).  A
 * process holds its failures and writes them in batches (attempt_batch)
 * into rows of its own, so that no two processes, on one server or on
 * nodes of a cluster, ever write the same row; the reset's lookup
 * (db_reset.c) reads the sum and adds what this process still holds.
 */
#include "ac-config.h"

#include <string.h>
#include <time.h>

#include <mysqld_error.h>

#include "db/db-internal.h"
#include "db/db_attempts.h"

#define PENDING_SECONDS	1	/* written at the next call after this */

enum {
	ATTEMPT_ADD,
	ATTEMPT_SWEEP,
	ATTEMPT_RESERVE,
	ATTEMPT_RELEASE,
	NSTMTS
};

static const struct stmt_def stmts[NSTMTS] = {
	/* Each process counts in its own row (writer). */
	[ATTEMPT_ADD] = {
	    "INSERT INTO attempt_failures (client_key, window_start, writer, "
	    "failures) VALUES (?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE failures = failures + VALUES(failures)",
	    4, 0 },
	[ATTEMPT_SWEEP] = {
	    "DELETE FROM attempt_failures WHERE window_start < "
	    "UNIX_TIMESTAMP() DIV ? * ? LIMIT 16", 2, 0 },
	/* One attempt counted before its code is looked up (CGI). */
	[ATTEMPT_RESERVE] = {
	    "INSERT INTO attempt_failures (client_key, window_start, writer, "
	    "failures) VALUES (?, UNIX_TIMESTAMP() DIV ? * ?, ?, 1) "
	    "ON DUPLICATE KEY UPDATE failures = failures + 1", 4, 0 },
	/* ... and taken back: this writer's newest row of the client. */
	[ATTEMPT_RELEASE] = {
	    "UPDATE attempt_failures SET failures = failures - 1 "
	    "WHERE client_key = ? AND writer = ? AND failures > 0 "
	    "ORDER BY window_start DESC LIMIT 1", 2, 0 },
};

/* True when the pending failures should be written now: as many as
 * attempt_batch, or the oldest held PENDING_SECONDS. */
static int
pending_due(const struct db *db)
{
	const struct attempt_batch	*b = &db->attempts;
	struct timespec			 now;

	if (b->npending == 0)
		return 0;
	if (b->total >= (unsigned)db->cfg->attempt_batch)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Held a whole second, not merely across a tick of tv_sec. */
	return (now.tv_sec - b->since.tv_sec) * 1000 +
	    (now.tv_nsec - b->since.tv_nsec) / 1000000 >=
	    PENDING_SECONDS * 1000;
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
	struct attempt_batch	*b = &db->attempts;
	int			*created = arg;
	unsigned long long	 n = 0;
	enum db_result		 rc = DB_OK;
	int			 i, several = b->npending > 1;

	*created = 0;
	if (several && (rc = dbi_begin(db)) != DB_OK)
		return rc;
	for (i = 0; i < b->npending && rc == DB_OK; i++) {
		struct pending	*p = &b->pending[i];
		struct val	 in[] = { TEXT_IN(p->key), U64(&p->window_start),
				    U64(&b->writer), U64(&p->failures) };

		rc = dbi_run(db, &stmts[ATTEMPT_ADD], in, NELEM(in), NULL, 0, &n);
		if (rc == DB_OK && n == 1)
			*created = 1;
	}
	return several ? dbi_end(db, rc) : rc;
}

/* Deletes up to 16 rows of ended windows: what a new row pays. */
static enum db_result
sweep_ended(struct db *db)
{
	long long	w = db->cfg->attempt_window;
	struct val	sweep[] = { I64(&w), I64(&w) };
	enum db_result	rc;

	rc = dbi_statement(db, &stmts[ATTEMPT_SWEEP], sweep, NELEM(sweep),
	    NULL, 0, NULL);
	if (rc == DB_UNAVAILABLE && db->last_errno == ER_LOCK_DEADLOCK)
		rc = DB_OK;
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
	enum db_result	rc;
	int		created = 0;

	rc = dbi_with_reruns(db, flush_once, &created);
	if (rc == DB_UNAVAILABLE && db->connect_failed)
		return rc;
	db->attempts.npending = 0;
	db->attempts.total = 0;
	return rc == DB_OK && created ? sweep_ended(db) : rc;
}

void
dbi_attempts_flush_if_due(struct db *db)
{
	if (pending_due(db))
		(void)flush_failures(db);
}

void
dbi_attempts_at_exit(struct db *db)
{
	if (db->attempts.npending > 0 && db->conn != NULL)
		(void)flush_failures(db);	/* best effort */
}

unsigned long long
dbi_attempts_pending(const struct db *db, const char *client_key,
    unsigned long long window_start)
{
	const struct attempt_batch	*b = &db->attempts;
	unsigned long long		 n = 0;
	int				 i;

	for (i = 0; i < b->npending; i++)
		if (strcmp(b->pending[i].key, client_key) == 0 &&
		    b->pending[i].window_start == window_start)
			n += b->pending[i].failures;
	return n;
}

enum db_result
db_attempt_failed(struct db *db, const char *client_key,
    unsigned long long window_start)
{
	struct attempt_batch	*b = &db->attempts;
	struct pending		*p = NULL;
	int			 i;

	for (i = 0; i < b->npending; i++)
		if (strcmp(b->pending[i].key, client_key) == 0 &&
		    b->pending[i].window_start == window_start)
			p = &b->pending[i];
	if (p == NULL) {
		if (b->npending == PENDING_MAX || strlen(client_key) >=
		    sizeof(p->key))
			return dbi_fail(db, 0, "count", "too many failures pending");
		p = &b->pending[b->npending++];
		memcpy(p->key, client_key, strlen(client_key) + 1);
		p->window_start = window_start;
		p->failures = 0;
	}
	if (b->total++ == 0)
		clock_gettime(CLOCK_MONOTONIC, &b->since);
	p->failures++;
	return pending_due(db) ? flush_failures(db) : DB_OK;
}

enum db_result
db_attempt_reserve(struct db *db, const char *client_key, long window)
{
	long long		 w = window;
	struct val		 in[] = { TEXT_IN(client_key), I64(&w), I64(&w),
				    U64(&db->attempts.writer) };
	unsigned long long	 n = 0;
	enum db_result		 rc;

	rc = dbi_statement(db, &stmts[ATTEMPT_RESERVE], in, NELEM(in), NULL,
	    0, &n);
	/* A new row pays for old ones, as in flush_failures; a failure to
	 * sweep changes nothing of this request. */
	if (rc == DB_OK && n == 1)
		(void)sweep_ended(db);
	return rc;
}

enum db_result
db_attempt_release(struct db *db, const char *client_key)
{
	struct val	 in[] = { TEXT_IN(client_key),
			    U64(&db->attempts.writer) };

	return dbi_statement(db, &stmts[ATTEMPT_RELEASE], in, NELEM(in), NULL,
	    0, NULL);
}
