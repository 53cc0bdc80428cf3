/*
 * db_mail.c: the recover endpoint's queue and the mailer's statements
 * (table mail_queue), through db.c's statement runner and rerun rule.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_mail.h"

enum {
	RECOVER_COUNTS,
	RECOVER_ENQUEUE,
	CLAIM,
	LEASED,
	LEASED_ADDRESS,
	USER_LOCK,
	CAPS_USER,
	CAPS_ADDRESS,
	CODE,
	RESERVE_USER,
	RESERVE_ADDRESS,
	END_CODE,
	FINISH,
	RETRY,
	WIPE,
	STATE_COUNT,
	DUE_OLDEST,
	REQUEUE,
	NSTMTS
};

/* An address column or value x normalised in SQL: the local part lower
 * case and cut at the first '+', without dots for gmail.com and
 * googlemail.com (which ignore them), then '@' and the domain lower case. */
#define NORM_LOCAL(x) \
	"LOWER(SUBSTRING_INDEX(SUBSTRING_INDEX(" x ", '@', 1), '+', 1))"
#define NORM_ADDRESS(x) \
	"CONCAT(IF(LOWER(SUBSTRING_INDEX(" x ", '@', -1)) IN ('gmail.com', " \
	"'googlemail.com'), REPLACE(" NORM_LOCAL(x) ", '.', ''), " \
	NORM_LOCAL(x) "), '@', LOWER(SUBSTRING_INDEX(" x ", '@', -1)))"

/* One width's rows of recover requests in the window (? seconds), for
 * one key (?, never ""): n, and l the seconds until the oldest leaves. */
#define RECOVER_WINDOW(col, alias) \
	"(SELECT COUNT(*) AS n, COALESCE(CEIL(TIMESTAMPDIFF(MICROSECOND, " \
	"UTC_TIMESTAMP(6), MIN(created_at) + INTERVAL ? SECOND) / 1000000), " \
	"1) AS l FROM mail_queue WHERE " col " = ? AND " col " <> '' AND " \
	"created_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND AND " \
	"kind = 'recover') AS " alias

static const struct stmt_def stmts[NSTMTS] = {
	/* The client's rows in the window, its network's and its
	 * provider's (an IPv4 address or IPv6 /64, an IPv4 /24 or IPv6 /48,
	 * an IPv4 /16 or IPv6 /32): each how many, and in how many seconds
	 * the oldest leaves the window (Retry-After); 0 for "" (not known).
	 * A plain consistent read: no locks (docs/MAILER.md says why this
	 * is not one INSERT ... SELECT). */
	[RECOVER_COUNTS] = {
	    "SELECT k.n, k.l, n.n, n.l, p.n, p.l FROM "
	    RECOVER_WINDOW("client_key", "k") ", "
	    RECOVER_WINDOW("client_net", "n") ", "
	    RECOVER_WINDOW("client_provider", "p"), 9, 6 },
	/* One INSERT answers every valid recover request; no user lookup. */
	[RECOVER_ENQUEUE] = {
	    "INSERT INTO mail_queue (request_id, client_key, client_net, "
	    "client_provider, fair_rank, email, locale, created_at, "
	    "enqueued_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", 7, 0 },
	/* A lease: the row is the mailer's until due_at, then anyone's. */
	/* id = LAST_INSERT_ID(id): the session learns which row it took,
	 * without an index on lease_token. */
	[CLAIM] = {
	    "UPDATE mail_queue SET lease_token = ?, attempts = attempts + 1, "
	    "due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "id = LAST_INSERT_ID(id) "
	    "WHERE state = 'queued' AND due_at <= UTC_TIMESTAMP(6) "
	    "ORDER BY fair_rank, due_at LIMIT 1", 2, 0 },
	[LEASED] = {
	    "SELECT id, attempts, TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6)), request_id, client_key FROM mail_queue "
	    "WHERE id = LAST_INSERT_ID() AND lease_token = ?", 1, 5 },
	[LEASED_ADDRESS] = {
	    "SELECT COALESCE(email, ''), locale, kind = 'changed', "
	    "COALESCE(user_id, 0), CAST(UNIX_TIMESTAMP(created_at) AS SIGNED) "
	    "FROM mail_queue WHERE id = ?", 1, 5 },
	/* The account's row lock serialises every mailer deciding about
	 * this account, so the caps hold across mailers. */
	[USER_LOCK] = {
	    "SELECT id, email FROM users WHERE email = ? FOR UPDATE", 1, 2 },
	/* The account's mails of the last day: those this row's client
	 * asked for, whether one of those is within the interval, and all
	 * of them (the ceiling).  Counting the interval and the daily limit
	 * per client is what keeps one client from using up the owner's
	 * budget (issue 19, point 2). */
	[CAPS_USER] = {
	    "SELECT COALESCE(SUM(client_key = ?), 0), COALESCE(MAX(client_key "
	    "= ? AND reserved_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND), 0), "
	    "COUNT(*) FROM mail_queue WHERE user_id = ? AND "
	    "reserved_at > UTC_TIMESTAMP(6) - INTERVAL 1 DAY AND "
	    "state IN ('queued', 'sent') AND id <> ?", 5, 3 },
	/* Notices to unknown addresses of the last day in the address's
	 * domain: those to the same normalised address, whether one of
	 * those is within the interval, and all of them (the domain cap).
	 * Normalised: lower case, the +tag cut, dots dropped for Gmail, so
	 * victim+1@ ... victim+8@ are one mailbox (issue 19, point 4). */
	[CAPS_ADDRESS] = {
	    "SELECT COALESCE(SUM(" NORM_ADDRESS("q.email") " = "
	    NORM_ADDRESS("p.a") "), 0), COALESCE(MAX(" NORM_ADDRESS("q.email")
	    " = " NORM_ADDRESS("p.a") " AND q.reserved_at > UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND), 0), COUNT(*) FROM mail_queue q JOIN (SELECT "
	    "CAST(? AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_unicode_ci "
	    "AS a) p WHERE "
	    "q.user_id IS NULL AND q.reserved_at > UTC_TIMESTAMP(6) - "
	    "INTERVAL 1 DAY AND SUBSTRING_INDEX(q.email, '@', -1) = "
	    "SUBSTRING_INDEX(p.a, '@', -1) AND q.state IN ('queued', 'sent') "
	    "AND q.id <> ?", 3, 3 },
	[CODE] = {
	    "INSERT INTO reset_codes (user_id, code_sha256, created_at, "
	    "expires_at, locale) VALUES (?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)", 4, 0 },
	[RESERVE_USER] = {
	    "UPDATE mail_queue SET user_id = ?, reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = LAST_INSERT_ID() WHERE id = ? AND lease_token = ?", 3, 0 },
	[RESERVE_ADDRESS] = {
	    "UPDATE mail_queue SET reserved_at = UTC_TIMESTAMP(6), "
	    "code_id = NULL WHERE id = ? AND lease_token = ?", 2, 0 },
	/* A code that was not delivered ends at once. */
	[END_CODE] = {
	    "UPDATE reset_codes c JOIN mail_queue q ON q.code_id = c.id "
	    "SET c.used_at = UTC_TIMESTAMP(6) WHERE q.id = ? AND "
	    "q.lease_token = ? AND c.used_at IS NULL", 2, 0 },
	[FINISH] = {
	    "UPDATE mail_queue SET state = ?, user_id = COALESCE(NULLIF(?, 0), "
	    "user_id), smtp_status = NULLIF(?, 0), finished_at = "
	    "UTC_TIMESTAMP(6), lease_token = NULL WHERE id = ? AND "
	    "lease_token = ?", 5, 0 },
	[RETRY] = {
	    "UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "smtp_status = NULLIF(?, 0), lease_token = NULL "
	    "WHERE id = ? AND lease_token = ?", 4, 0 },
	[WIPE] = {
	    "UPDATE mail_queue SET email = NULL, client_key = '', client_net = '', "
	    "client_provider = '' "
	    "WHERE created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND AND "
	    "(email IS NOT NULL OR client_key <> '' OR client_net <> '') "
	    "LIMIT 500", 1, 0 },
	[STATE_COUNT] = {
	    "SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(SECOND, enqueued_at, "
	    "UTC_TIMESTAMP(6))), 0) FROM mail_queue WHERE state = ?", 1, 2 },
	/* Rows due now and not leased (a lease moves due_at to its end),
	 * and how long the oldest has been due: the mailer's backlog. */
	[DUE_OLDEST] = {
	    "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(SECOND, MIN(due_at), "
	    "UTC_TIMESTAMP(6)), 0) FROM mail_queue WHERE state = 'queued' "
	    "AND due_at <= UTC_TIMESTAMP(6)", 0, 2 },
	[REQUEUE] = {
	    "UPDATE mail_queue SET state = 'queued', due_at = UTC_TIMESTAMP(6), "
	    "enqueued_at = UTC_TIMESTAMP(6), lease_token = NULL, attempts = 0, "
	    "smtp_status = NULL, finished_at = NULL "
	    "WHERE id = ? AND state <> 'queued' AND email IS NOT NULL", 1, 0 },
};

enum db_result
db_recover_enqueue(struct db *db, const char *request_id,
    const struct recover_client *client, const char *email,
    const char *locale, const struct recover_caps *caps, int *limited,
    long *retry_after)
{
	long long		 w = caps->window, left[3] = { 1, 1, 1 };
	unsigned long long	 n[3] = { 0, 0, 0 }, rank;
	const int		 cap[3] = { caps->key, caps->net,
				    caps->provider };
	struct val		 cin[] = { I64(&w), TEXT_IN(client->key), I64(&w),
				    I64(&w), TEXT_IN(client->net), I64(&w),
				    I64(&w), TEXT_IN(client->provider), I64(&w) };
	struct val		 cout[] = { U64(&n[0]), I64(&left[0]),
				    U64(&n[1]), I64(&left[1]),
				    U64(&n[2]), I64(&left[2]) };
	struct val		 in[] = { TEXT_IN(request_id),
				    TEXT_IN(client->key), TEXT_IN(client->net),
				    TEXT_IN(client->provider), U64(&rank),
				    TEXT_IN(email), TEXT_IN(locale) };
	enum db_result		 rc;
	int			 i;

	*limited = 0;
	/* The three counts in one round trip (non-locking reads). */
	rc = dbi_statement(db, &stmts[RECOVER_COUNTS], cin, NELEM(cin), cout,
	    NELEM(cout), NULL);
	if (rc != DB_OK)
		return rc;
	/* The client's cap, its network's, its provider's (one /32 holds
	 * 65,536 /48s: that cap bounds how many first-in-their-network rows
	 * one allocation can put ahead of everyone else's): the first one
	 * reached answers. */
	for (i = 0; i < 3; i++)
		if (cap[i] > 0 && n[i] >= (unsigned long long)cap[i]) {
			*limited = 1;
			*retry_after = left[i] > 0 ? (long)left[i] : 1;
			return DB_OK;
		}
	/* Fair order (issue 19, point 3): the rows its network (or, with
	 * none, its client) queued in the window before this one.  The
	 * mailer takes due rows by this rank first, so everyone's first
	 * request goes before a flood's second. */
	rank = client->net[0] != '\0' ? n[1] : n[0];
	return dbi_statement(db, &stmts[RECOVER_ENQUEUE], in, NELEM(in), NULL,
	    0, NULL);
}

/* See db_mail.h. */
enum db_result
db_mail_prepare(struct db *db)
{
	enum db_result	rc;

	if ((rc = dbi_prepare(db, stmts, NSTMTS)) != DB_OK)
		return rc;
	return dbi_events_prepare(db);
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
				    TEXT_OUT(job->request_id, sizeof(job->request_id)),
				    TEXT_OUT(job->client_key, sizeof(job->client_key)) };
	long long		 changed = 0;
	struct val		 addr_in[] = { U64(&job->id) };
	struct val		 addr_out[] = {
				    TEXT_OUT(job->email, sizeof(job->email)),
				    TEXT_OUT(job->locale, sizeof(job->locale)),
				    I64(&changed), U64(&job->user_id),
				    I64(&job->created) };
	enum db_result		 rc;

	rc = dbi_statement(db, &stmts[CLAIM], claim_in, NELEM(claim_in), NULL,
	    0, &n);
	if (rc != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOT_FOUND;
	rc = dbi_statement(db, &stmts[LEASED], lease_in, NELEM(lease_in),
	    lease_out, NELEM(lease_out), NULL);
	if (rc != DB_OK)
		return rc;
	rc = dbi_statement(db, &stmts[LEASED_ADDRESS], addr_in, NELEM(addr_in),
	    addr_out, NELEM(addr_out), NULL);
	if (rc != DB_OK)
		return rc;
	job->changed = changed != 0;
	return DB_OK;
}

struct reserve_args {
	const struct mail_job	*job;
	const char		*code_sha256;
	long long		 code_ttl, interval;
	int			 daily_limit, ceiling;
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
	unsigned long long	 count = 0, total = 0, id = a->job->id, n = 0;
	unsigned long long	*user_id = &a->user_id;
	long long		 recent = 0;
	struct val		 lock_in[] = { TEXT_IN(a->job->email) };
	struct val		 lock_out[] = { U64(user_id),
				    TEXT_OUT(a->rcpt, a->rcptlen) };
	struct val		 caps_in[] = { TEXT_IN(a->job->client_key),
				    TEXT_IN(a->job->client_key), I64(&a->interval),
				    U64(user_id), U64(&id) };
	struct val		 caps_out[] = { U64(&count), I64(&recent),
				    U64(&total) };
	struct val		 code_in[] = { U64(user_id),
				    TEXT_IN(a->code_sha256), I64(&a->code_ttl),
				    TEXT_IN(a->job->locale) };
	struct val		 res_in[] = { U64(user_id), U64(&id),
				    TEXT_IN(a->job->lease) };
	enum db_result		 rc;

	a->result = RESERVE_LOST;
	rc = dbi_run(db, &stmts[USER_LOCK], lock_in, NELEM(lock_in), lock_out,
	    NELEM(lock_out), NULL);
	if (rc == DB_NOT_FOUND) {
		a->result = RESERVE_UNKNOWN;
		return DB_NOT_FOUND;	/* nothing written: roll back */
	}
	if (rc != DB_OK)
		return rc;
	rc = dbi_run(db, &stmts[CAPS_USER], caps_in, NELEM(caps_in), caps_out,
	    NELEM(caps_out), NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)a->daily_limit ||
	    total >= (unsigned long long)a->ceiling) {
		a->result = RESERVE_SUPPRESSED;
		return DB_OK;	/* the caller records it */
	}
	if ((rc = dbi_run(db, &stmts[CODE], code_in, NELEM(code_in), NULL, 0,
	    NULL)) != DB_OK)
		return rc == DB_CONFLICT ? DB_ERROR : rc;
	if ((rc = dbi_run(db, &stmts[RESERVE_USER], res_in, NELEM(res_in),
	    NULL, 0, &n)) != DB_OK)
		return rc;
	if (n != 1)
		return DB_NOT_FOUND;	/* the lease ran out: roll back */
	a->result = RESERVE_SEND;
	return DB_OK;
}

enum db_result
db_mail_reserve_account(struct db *db, const struct mail_job *job,
    const char *code_sha256, long code_ttl, long interval, int daily_limit,
    int ceiling, char *rcpt, size_t rcptlen, unsigned long long *user_id_out,
    enum mail_reserve *result)
{
	struct reserve_args	a = { job, code_sha256, code_ttl, interval,
				    daily_limit, ceiling, rcpt, rcptlen, 0,
				    RESERVE_LOST };
	enum db_result		rc;

	rc = dbi_transaction(db, reserve_account_once, &a);
	*result = a.result;
	*user_id_out = a.result == RESERVE_UNKNOWN ? 0 : a.user_id;
	if (rc == DB_NOT_FOUND)
		return DB_OK;	/* unknown account or lease lost: decided */
	return rc;
}

enum db_result
db_mail_reserve_address(struct db *db, const struct mail_job *job,
    long interval, int daily_limit, int domain_limit,
    enum mail_reserve *result)
{
	unsigned long long	 count = 0, domain = 0, id = job->id, n = 0;
	long long		 iv = interval, recent = 0;
	struct val		 caps_in[] = { I64(&iv), TEXT_IN(job->email),
				    U64(&id) };
	struct val		 caps_out[] = { U64(&count), I64(&recent),
				    U64(&domain) };
	struct val		 res_in[] = { U64(&id), TEXT_IN(job->lease) };
	enum db_result		 rc;

	*result = RESERVE_LOST;
	rc = dbi_statement(db, &stmts[CAPS_ADDRESS], caps_in, NELEM(caps_in),
	    caps_out, NELEM(caps_out), NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)daily_limit ||
	    domain >= (unsigned long long)domain_limit) {
		*result = RESERVE_SUPPRESSED;
		return DB_OK;
	}
	rc = dbi_statement(db, &stmts[RESERVE_ADDRESS], res_in, NELEM(res_in),
	    NULL, 0, &n);
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
	if (end_code && (rc = dbi_statement(db, &stmts[END_CODE], end_in,
	    NELEM(end_in), NULL, 0,
	    NULL)) != DB_OK)
		return rc;
	rc = dbi_statement(db, &stmts[FINISH], in, NELEM(in), NULL, 0, &n);
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
	if ((rc = dbi_statement(db, &stmts[END_CODE], end_in, NELEM(end_in),
	    NULL, 0, NULL)) != DB_OK)
		return rc;
	rc = dbi_statement(db, &stmts[RETRY], in, NELEM(in), NULL, 0, &n);
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
	return dbi_statement(db, &stmts[WIPE], in, NELEM(in), NULL, 0, wiped);
}

enum db_result
db_mail_state_count(struct db *db, const char *state,
    unsigned long long *count, long long *oldest_seconds)
{
	struct val	in[] = { TEXT_IN(state) };
	struct val	out[] = { U64(count), I64(oldest_seconds) };

	return dbi_statement(db, &stmts[STATE_COUNT], in, NELEM(in), out,
	    NELEM(out), NULL);
}

enum db_result
db_mail_due_oldest(struct db *db, unsigned long long *count,
    long long *oldest_seconds)
{
	struct val	out[] = { U64(count), I64(oldest_seconds) };

	return dbi_statement(db, &stmts[DUE_OLDEST], NULL, 0, out,
	    NELEM(out), NULL);
}

enum db_result
db_mail_requeue(struct db *db, unsigned long long id)
{
	unsigned long long	n = 0;
	struct val		in[] = { U64(&id) };
	enum db_result		rc;

	rc = dbi_statement(db, &stmts[REQUEUE], in, NELEM(in), NULL, 0, &n);
	if (rc == DB_OK && n == 0)
		rc = DB_NOT_FOUND;
	return rc;
}
