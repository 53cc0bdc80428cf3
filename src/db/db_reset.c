/*
 * db_reset.c: the reset endpoint's statements: the code lookup (with the
 * attempt check in the same round trip) and the reset transaction.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_events.h"
#include "db/db_reset.h"

enum {
	FIND_CODE,
	CHECK_CODE,
	LOCK_CODE,
	SET_PASSWORD,
	END_CODES,
	QUEUE_NOTICE,
	REVOKE_TOKENS,
	INSERT_TOKEN,
	NSTMTS
};

static const struct stmt_def stmts[NSTMTS] = {
	/* The e-mail is for the password's context check (policy.h). */
	[FIND_CODE] = {
	    "SELECT c.id, c.user_id, u.email FROM reset_codes c "
	    "JOIN users u ON u.id = c.user_id WHERE c.code_sha256 = ? "
	    "AND c.used_at IS NULL AND c.expires_at > UTC_TIMESTAMP(6)", 1, 3 },
	/* The attempt check and the lookup in one round trip.  Windows are
	 * aligned on the database's clock (one value for the whole
	 * statement), so that every worker on every host counts in the same
	 * window; the sum reads one row per process that counted the
	 * client in this window.  The e-mail as in FIND_CODE. */
	[CHECK_CODE] = {
	    "SELECT (SELECT IFNULL(SUM(failures), 0) FROM attempt_failures "
	    "WHERE client_key = ? AND window_start = w.ws), "
	    "CAST(w.ws AS SIGNED) + ? - UNIX_TIMESTAMP(), "
	    "IFNULL(c.id, 0), IFNULL(c.user_id, 0), w.ws, IFNULL(u.email, '') "
	    "FROM (SELECT UNIX_TIMESTAMP() DIV ? * ? AS ws) AS w "
	    "LEFT JOIN (reset_codes AS c JOIN users AS u ON u.id = c.user_id) "
	    "ON c.code_sha256 = ? AND c.used_at IS NULL "
	    "AND c.expires_at > UTC_TIMESTAMP(6)", 5, 6 },
	[LOCK_CODE] = {
	    "SELECT user_id FROM reset_codes WHERE id = ? "
	    "AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6) FOR UPDATE",
	    1, 1 },
	[SET_PASSWORD] = {
	    "UPDATE users SET password = ?, password_changed_at = "
	    "UTC_TIMESTAMP(6) WHERE id = ?", 2, 0 },
	[END_CODES] = {
	    "UPDATE reset_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND used_at IS NULL", 1, 0 },
	/* The notice goes to the account's stored address, in the locale
	 * of the recover request that made the code.  reserved_at stays
	 * NULL: no recover cap counts it (db_mail.c). */
	[QUEUE_NOTICE] = {
	    "INSERT INTO mail_queue (request_id, client_key, email, locale, "
	    "kind, created_at, enqueued_at, due_at, user_id) "
	    "SELECT ?, ?, u.email, c.locale, 'changed', UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), u.id FROM reset_codes c "
	    "JOIN users u ON u.id = c.user_id WHERE c.id = ?", 3, 0 },
	[REVOKE_TOKENS] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL", 1, 0 },
	[INSERT_TOKEN] = {
	    "INSERT INTO tokens (user_id, access_sha256, refresh_sha256, "
	    "client_id, scope, created_at, access_expires_at, "
	    "refresh_expires_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND)", 7, 0 },
};

enum db_result
db_find_code(struct db *db, const char *code_sha256,
    unsigned long long *code_id, unsigned long long *user_id,
    char *email, size_t emaillen)
{
	struct val	in[] = { TEXT_IN(code_sha256) };
	struct val	out[] = { U64(code_id), U64(user_id),
			    TEXT_OUT(email, emaillen) };

	return dbi_statement(db, &stmts[FIND_CODE], in, NELEM(in), out,
	    NELEM(out), NULL);
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
			    U64(&res->window_start), TEXT_OUT(email, emaillen) };
	enum db_result	rc;

	memset(res, 0, sizeof(*res));
	dbi_attempts_flush_if_due(db);	/* kept if it fails */
	rc = dbi_statement(db, &stmts[CHECK_CODE], in, NELEM(in), out,
	    NELEM(out), NULL);
	if (rc == DB_NOT_FOUND)		/* the statement always has a row */
		rc = dbi_fail(db, 0, "check", "no row");
	/* This process's own failures not yet written count too: the limit
	 * is exact within a process. */
	res->failures += dbi_attempts_pending(db, client_key, res->window_start);
	res->retry_after = left > 0 ? (long)left : 1;
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
	struct event		 ev = { NULL, w->request_id, w->user_id, NULL,
				    w->client_key, NULL, NULL };
	char			 detail[64];
	struct val		 notice_in[] = {
				    TEXT_IN(w->request_id ? w->request_id : ""),
				    TEXT_IN(w->client_key ? w->client_key : ""),
				    U64(&code_id) };
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
	rc = dbi_run(db, &stmts[LOCK_CODE], lock_in, NELEM(lock_in), lock_out,
	    NELEM(lock_out), NULL);
	if (rc == DB_OK && locked_user != user_id)
		rc = DB_NOT_FOUND;
	if (rc == DB_OK)
		rc = dbi_run(db, &stmts[SET_PASSWORD], pw_in, NELEM(pw_in), NULL,
		    0, &n);
	if (rc == DB_OK && n != 1)
		rc = DB_NOT_FOUND;	/* the user is gone */
	if (rc == DB_OK)
		rc = dbi_run(db, &stmts[END_CODES], user_in, NELEM(user_in), NULL,
		    0, NULL);
	/* Before the tokens: a transaction that dies from here on (the
	 * database killed, a lock wait) has queued its notice and must lose
	 * it with the rest (tests/integration/test_notify.py). */
	if (rc == DB_OK && w->notify)
		rc = dbi_run(db, &stmts[QUEUE_NOTICE], notice_in,
		    NELEM(notice_in), NULL, 0, &n);
	if (rc == DB_OK && w->notify && n != 1)
		rc = DB_NOT_FOUND;
	if (rc == DB_OK)
		rc = dbi_run(db, &stmts[REVOKE_TOKENS], user_in, NELEM(user_in),
		    NULL, 0, &n);
	/* The record, and the site's webhooks, in the same transaction. */
	if (rc == DB_OK) {
		ev.type = EVENT_PASSWORD_RESET;
		rc = dbi_events_add(db, &ev);
	}
	if (rc == DB_OK && n > 0) {
		snprintf(detail, sizeof(detail), "count=%llu reason=reset", n);
		ev.type = EVENT_TOKENS_REVOKED;
		ev.detail = detail;
		rc = dbi_events_add(db, &ev);
	}
	if (rc == DB_OK)
		rc = dbi_run(db, &stmts[INSERT_TOKEN], tok_in, NELEM(tok_in), NULL,
		    0, NULL);
	if (rc == DB_CONFLICT)
		rc = DB_ERROR;	/* a 256-bit token collided: never expected */
	return rc;
}

enum db_result
db_commit_reset(struct db *db, const struct reset_write *w)
{
	return dbi_transaction(db, reset_body, (void *)(uintptr_t)w);
}
