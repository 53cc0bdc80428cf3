/*
 * db_mail.c: the recover endpoint's queue and the mailer's statements
 * (table mail_queue), through db.c's statement runner and rerun rule.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "db/db-internal.h"

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
		rc = dbi_statement(db, ST_RECOVER_COUNT, cnt_in, 3, cnt_out, 2, NULL);
		if (rc != DB_OK)
			return rc;
		if (count >= (unsigned long long)limit) {
			*limited = 1;
			*retry_after = left > 0 ? (long)left : 1;
			return DB_OK;
		}
	}
	return dbi_statement(db, ST_RECOVER_ENQUEUE, in, 4, NULL, 0, NULL);
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

	rc = dbi_statement(db, ST_MQ_CLAIM, claim_in, 2, NULL, 0, &n);
	if (rc != DB_OK)
		return rc;
	if (n == 0)
		return DB_NOT_FOUND;
	rc = dbi_statement(db, ST_MQ_LEASED, lease_in, 1, lease_out, 4, NULL);
	if (rc != DB_OK)
		return rc;
	job->request_id[lease_out[3].len] = '\0';
	rc = dbi_statement(db, ST_MQ_LEASED_ADDRESS, addr_in, 1, addr_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	job->email[addr_out[0].len] = '\0';
	job->locale[addr_out[1].len] = '\0';
	return DB_OK;
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
	rc = dbi_run(db, ST_MQ_USER_LOCK, lock_in, 1, lock_out, 2, NULL);
	if (rc == DB_NOT_FOUND) {
		a->result = RESERVE_UNKNOWN;
		return DB_NOT_FOUND;	/* nothing written: roll back */
	}
	if (rc != DB_OK)
		return rc;
	a->rcpt[lock_out[1].len] = '\0';
	rc = dbi_run(db, ST_MQ_CAPS_USER, caps_in, 3, caps_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)a->daily_limit) {
		a->result = RESERVE_SUPPRESSED;
		return DB_OK;	/* the caller records it */
	}
	if ((rc = dbi_run(db, ST_MQ_CODE, code_in, 3, NULL, 0, NULL)) != DB_OK)
		return rc == DB_CONFLICT ? DB_ERROR : rc;
	if ((rc = dbi_run(db, ST_MQ_RESERVE_USER, res_in, 3, NULL, 0, &n)) != DB_OK)
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

	rc = dbi_transaction(db, reserve_account_once, &a);
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
	rc = dbi_statement(db, ST_MQ_CAPS_ADDRESS, caps_in, 3, caps_out, 2, NULL);
	if (rc != DB_OK)
		return rc;
	if (recent || count >= (unsigned long long)daily_limit) {
		*result = RESERVE_SUPPRESSED;
		return DB_OK;
	}
	rc = dbi_statement(db, ST_MQ_RESERVE_ADDRESS, res_in, 2, NULL, 0, &n);
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
	if (end_code && (rc = dbi_statement(db, ST_MQ_END_CODE, end_in, 2, NULL, 0,
	    NULL)) != DB_OK)
		return rc;
	rc = dbi_statement(db, ST_MQ_FINISH, in, 5, NULL, 0, &n);
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
	if ((rc = dbi_statement(db, ST_MQ_END_CODE, end_in, 2, NULL, 0, NULL)) != DB_OK)
		return rc;
	rc = dbi_statement(db, ST_MQ_RETRY, in, 4, NULL, 0, &n);
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
	return dbi_statement(db, ST_MQ_WIPE, in, 1, NULL, 0, wiped);
}

enum db_result
db_mail_state_count(struct db *db, const char *state,
    unsigned long long *count, long long *oldest_seconds)
{
	struct val	in[] = { TEXT_IN(state) };
	struct val	out[] = { U64(count), I64(oldest_seconds) };

	return dbi_statement(db, ST_MQ_STATE_COUNT, in, 1, out, 2, NULL);
}

enum db_result
db_mail_requeue(struct db *db, unsigned long long id)
{
	unsigned long long	n = 0;
	struct val		in[] = { U64(&id) };
	enum db_result		rc;

	rc = dbi_statement(db, ST_MQ_REQUEUE, in, 1, NULL, 0, &n);
	if (rc == DB_OK && n == 0)
		rc = DB_NOT_FOUND;
	return rc;
}
