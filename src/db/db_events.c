/*
 * db_events.c: the events table and the webhook outbox (see
 * db_events.h), through db.c's statement runner and rerun rule.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_events.h"

enum {
	EVENT_INSERT,
	EVENT_INSERT_BY_EMAIL,
	OUTBOX_INSERT,
	USER_BY_EMAIL,
	NEXT_EVENT,
	PURGE_EVENTS,
	PURGE_OUTBOX,
	WH_CLAIM,
	WH_LEASED,
	WH_FINISH,
	WH_RETRY,
	NSTMTS
};

static const struct stmt_def stmts[NSTMTS] = {
	/* The user by id (0: none). */
	[EVENT_INSERT] = {
	    "INSERT INTO events (created_at, type, request_id, user_id, "
	    "client_key, actor, detail) VALUES (UTC_TIMESTAMP(6), ?, ?, "
	    "NULLIF(?, 0), ?, ?, ?)", 6, 0 },
	/* The user by address (NULL when there is no such account: the
	 * event names nobody); only admin actions, outside a reset. */
	[EVENT_INSERT_BY_EMAIL] = {
	    "INSERT INTO events (created_at, type, request_id, user_id, "
	    "client_key, actor, detail) VALUES (UTC_TIMESTAMP(6), ?, ?, "
	    "(SELECT id FROM users WHERE email = ? LIMIT 1), ?, ?, ?)", 6, 0 },
	[OUTBOX_INSERT] = {
	    "INSERT INTO webhook_outbox (event_id, created_at, due_at) "
	    "VALUES (LAST_INSERT_ID(), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
	    0, 0 },
	[USER_BY_EMAIL] = {
	    "SELECT id FROM users WHERE email = ? LIMIT 1", 1, 1 },
	[NEXT_EVENT] = {
	    "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), "
	    "type, request_id, COALESCE(user_id, 0), client_key, actor, detail "
	    "FROM events WHERE id > ? AND created_at >= CAST(? AS DATETIME(6)) "
	    "AND (? = 0 OR user_id = ?) ORDER BY id LIMIT 1", 4, 8 },
	[PURGE_EVENTS] = {
	    "DELETE FROM events WHERE created_at < UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND ORDER BY created_at LIMIT 500", 1, 0 },
	/* Queued or not: a webhook not delivered within the retention of
	 * its event is no news any more. */
	[PURGE_OUTBOX] = {
	    "DELETE FROM webhook_outbox WHERE created_at < UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND ORDER BY created_at LIMIT 500", 1, 0 },
	/* A lease, as mail_queue's (db_mail.c). */
	[WH_CLAIM] = {
	    "UPDATE webhook_outbox SET lease_token = ?, attempts = attempts + 1, "
	    "due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "id = LAST_INSERT_ID(id) "
	    "WHERE state = 'queued' AND due_at <= UTC_TIMESTAMP(6) "
	    "ORDER BY due_at LIMIT 1", 2, 0 },
	[WH_LEASED] = {
	    "SELECT o.id, o.attempts, e.id, COALESCE(e.user_id, 0), e.type, "
	    "DATE_FORMAT(e.created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), e.request_id "
	    "FROM webhook_outbox o JOIN events e ON e.id = o.event_id "
	    "WHERE o.id = LAST_INSERT_ID() AND o.lease_token = ?", 1, 7 },
	[WH_FINISH] = {
	    "UPDATE webhook_outbox SET state = ?, http_status = NULLIF(?, 0), "
	    "finished_at = UTC_TIMESTAMP(6), lease_token = NULL "
	    "WHERE id = ? AND lease_token = ?", 4, 0 },
	[WH_RETRY] = {
	    "UPDATE webhook_outbox SET due_at = UTC_TIMESTAMP(6) + INTERVAL ? "
	    "SECOND, http_status = NULLIF(?, 0), lease_token = NULL "
	    "WHERE id = ? AND lease_token = ?", 4, 0 },
};

int
events_webhook_type(const char *type)
{
	return strcmp(type, EVENT_PASSWORD_RESET) == 0 ||
	    strcmp(type, EVENT_TOKENS_REVOKED) == 0 ||
	    strcmp(type, EVENT_TOKENS_REUSE) == 0;
}

/* See db-internal.h. */
enum db_result
dbi_events_prepare(struct db *db)
{
	return dbi_prepare(db, stmts, NSTMTS);
}

/* Inside a transaction (db_reset.c's, or db_events_record's own): the
 * event, then its outbox row, whose event_id is the event's id. */
enum db_result
dbi_events_add(struct db *db, const struct event *e)
{
	unsigned long long	 uid = e->user_id;
	int			 by_email = uid == 0 && e->email != NULL;
	struct val		 in[] = { TEXT_IN(e->type),
				    TEXT_IN(e->request_id ? e->request_id : ""),
				    U64(&uid),
				    TEXT_IN(e->client_key ? e->client_key : ""),
				    TEXT_IN(e->actor ? e->actor : ""),
				    TEXT_IN(e->detail ? e->detail : "") };
	enum db_result		 rc;

	if (by_email) {
		in[2].type = V_TEXT;
		in[2].p = (void *)(uintptr_t)e->email;
		in[2].len = (unsigned long)strlen(e->email);
	}
	rc = dbi_run(db, &stmts[by_email ? EVENT_INSERT_BY_EMAIL :
	    EVENT_INSERT], in, NELEM(in), NULL, 0, NULL);
	if (rc == DB_OK && db->cfg->webhook_url[0] != '\0' &&
	    events_webhook_type(e->type))
		rc = dbi_run(db, &stmts[OUTBOX_INSERT], NULL, 0, NULL, 0, NULL);
	if (rc == DB_CONFLICT)
		rc = DB_ERROR;	/* an id taken twice: never expected */
	return rc;
}

static enum db_result
record_body(struct db *db, void *arg)
{
	return dbi_events_add(db, arg);
}

enum db_result
db_events_record(struct db *db, const struct event *e)
{
	return dbi_transaction(db, record_body, (void *)(uintptr_t)e);
}

enum db_result
db_events_list(struct db *db, const char *email, const char *since,
    void (*each)(void *arg, const struct event_row *row), void *arg,
    unsigned long long *count)
{
	struct event_row	 r;
	unsigned long long	 uid = 0, after = 0;
	struct val		 uin[] = { TEXT_IN(email ? email : "") };
	struct val		 uout[] = { U64(&uid) };
	struct val		 in[] = { U64(&after),
				    TEXT_IN(since ? since : "1970-01-01 00:00:00"),
				    U64(&uid), U64(&uid) };
	struct val		 out[] = { U64(&r.id),
				    TEXT_OUT(r.created, sizeof(r.created)),
				    TEXT_OUT(r.type, sizeof(r.type)),
				    TEXT_OUT(r.request_id, sizeof(r.request_id)),
				    U64(&r.user_id),
				    TEXT_OUT(r.client_key, sizeof(r.client_key)),
				    TEXT_OUT(r.actor, sizeof(r.actor)),
				    TEXT_OUT(r.detail, sizeof(r.detail)) };
	enum db_result		 rc;

	*count = 0;
	if (email != NULL && (rc = dbi_statement(db, &stmts[USER_BY_EMAIL],
	    uin, NELEM(uin), uout, NELEM(uout), NULL)) != DB_OK)
		return rc;
	memset(&r, 0, sizeof(r));
	while ((rc = dbi_statement(db, &stmts[NEXT_EVENT], in, NELEM(in), out,
	    NELEM(out), NULL)) == DB_OK) {
		each(arg, &r);
		(*count)++;
		after = r.id;
	}
	return rc == DB_NOT_FOUND ? DB_OK : rc;
}

enum db_result
db_events_purge(struct db *db, long retention, unsigned long long *deleted)
{
	long long		 r = retention;
	unsigned long long	 n = 0;
	struct val		 in[] = { I64(&r) };
	enum db_result		 rc;

	*deleted = 0;
	rc = dbi_statement(db, &stmts[PURGE_EVENTS], in, NELEM(in), NULL, 0,
	    &n);
	if (rc != DB_OK)
		return rc;
	*deleted = n;
	rc = dbi_statement(db, &stmts[PURGE_OUTBOX], in, NELEM(in), NULL, 0,
	    &n);
	if (rc == DB_OK)
		*deleted += n;
	return rc;
}

enum db_result
db_webhook_claim(struct db *db, long lease_seconds, struct webhook_job *job)
{
	long long		 lease = lease_seconds;
	unsigned long long	 n = 0;
	struct val		 claim_in[] = { TEXT_IN(job->lease), I64(&lease) };
	struct val		 lease_in[] = { TEXT_IN(job->lease) };
	struct val		 lease_out[] = { U64(&job->id), U64(&job->attempts),
				    U64(&job->event_id), U64(&job->user_id),
				    TEXT_OUT(job->type, sizeof(job->type)),
				    TEXT_OUT(job->created, sizeof(job->created)),
				    TEXT_OUT(job->request_id,
				    sizeof(job->request_id)) };
	enum db_result		 rc;

	rc = dbi_statement(db, &stmts[WH_CLAIM], claim_in, NELEM(claim_in),
	    NULL, 0, &n);
	if (rc != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOT_FOUND;
	return dbi_statement(db, &stmts[WH_LEASED], lease_in, NELEM(lease_in),
	    lease_out, NELEM(lease_out), NULL);
}

enum db_result
db_webhook_finish(struct db *db, const struct webhook_job *job,
    const char *state, long http_status, int *lost)
{
	unsigned long long	 id = job->id, n = 0;
	long long		 st = http_status;
	struct val		 in[] = { TEXT_IN(state), I64(&st), U64(&id),
				    TEXT_IN(job->lease) };
	enum db_result		 rc;

	*lost = 0;
	rc = dbi_statement(db, &stmts[WH_FINISH], in, NELEM(in), NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		*lost = 1;
	return rc;
}

enum db_result
db_webhook_retry(struct db *db, const struct webhook_job *job, long delay,
    long http_status, int *lost)
{
	unsigned long long	 id = job->id, n = 0;
	long long		 d = delay, st = http_status;
	struct val		 in[] = { I64(&d), I64(&st), U64(&id),
				    TEXT_IN(job->lease) };
	enum db_result		 rc;

	*lost = 0;
	rc = dbi_statement(db, &stmts[WH_RETRY], in, NELEM(in), NULL, 0, &n);
	if (rc == DB_OK && n != 1)
		*lost = 1;
	return rc;
}
