/*
 * db.h: the only code that touches the MYSQL handle.  One connection per
 * process, opened lazily, kept, and reopened when it is lost; statements
 * are prepared once per connection.  Credentials come from a MySQL option
 * file and group (MYSQL_READ_DEFAULT_FILE / MYSQL_READ_DEFAULT_GROUP).
 */
#ifndef AR_DB_H
#define AR_DB_H

#include "conf/config.h"
#include "password/token.h"

enum db_result {
	DB_OK = 0,
	DB_NOT_FOUND = 1,	/* no such (valid) row */
	DB_CONFLICT = 2,	/* a unique key already holds it */
	DB_UNAVAILABLE = -1,	/* cannot reach the server: answer 503 */
	DB_ERROR = -2,		/* anything else: answer 500 */
};

struct db;

struct db	*db_new(const struct config *cfg);
void		 db_free(struct db *db);

/* Opens the connection now rather than at the first statement (a worker
 * does so before it enters its sandbox, so that the client library has
 * loaded what it needs).  DB_OK or DB_UNAVAILABLE. */
enum db_result db_open(struct db *db);

/* Loads every authentication plugin the client library has (those not
 * installed are skipped), so that a first connection made inside the
 * sandbox, which maps no new code, finds the one the server asks for. */
void db_preload_plugins(void);

/* 1 while a connection is open. */
int db_connected(const struct db *db);

/* Finds an unused, unexpired code by the hex SHA-256 of its text, with
 * its user's id and e-mail (into email, emaillen >= DB_EMAIL_MAX). */
#define DB_EMAIL_MAX	(254 * 4 + 1)	/* VARCHAR(254) of utf8mb4, and NUL */
enum db_result db_find_code(struct db *db, const char *code_sha256,
    unsigned long long *code_id, unsigned long long *user_id,
    char *email, size_t emaillen);

/* What db_check_code learnt in its one round trip. */
struct db_lookup {
	unsigned long long	failures;	/* the client's in this window */
	long			retry_after;	/* seconds left of the window */
	unsigned long long	code_id;	/* 0 when the code is not valid */
	unsigned long long	user_id;
	unsigned long long	window_start;	/* the current window (Unix time) */
};

/* The attempt check and the code lookup in one statement: the failures
 * client_key has in the current window of window seconds, and the code
 * (code_sha256, or NULL for a text that cannot be a code: then nothing is
 * found).  failures includes this process's failures not yet written
 * (attempt_batch), and pending failures are written first when they are
 * due.  The code's user's e-mail goes into email (emaillen >=
 * DB_EMAIL_MAX; empty with no code).  DB_OK with code_id 0 when no valid
 * code matched; the caller must refuse an over-limit client before it
 * uses the code. */
enum db_result db_check_code(struct db *db, const char *client_key,
    long window, const char *code_sha256, struct db_lookup *out,
    char *email, size_t emaillen);

struct reset_write {
	unsigned long long	 code_id;
	unsigned long long	 user_id;
	const char		*password_record;
	char			 access_sha256[SHA256_HEX_CHARS + 1];
	char			 refresh_sha256[SHA256_HEX_CHARS + 1];
};

/* The reset, as one transaction: the code is locked and re-checked, the
 * password stored, every open code of the user ended, the user's tokens
 * revoked and the new one stored.  DB_NOT_FOUND when the code was used or
 * expired meanwhile (nothing written).  Deadlocks, lock wait timeouts and
 * Galera certification failures (1213 at COMMIT) are rerun up to
 * cfg->db_retries times (see db_reruns); a COMMIT whose connection broke
 * is never rerun (DB_UNAVAILABLE: it may have taken effect). */
enum db_result db_commit_reset(struct db *db, const struct reset_write *w);

/* Counts one failed code attempt for client_key in the window of look
 * (from db_check_code).  Failures are written in this process's own rows
 * (so that processes and cluster nodes never contend for one row), once
 * cfg->attempt_batch of them are held or the oldest has been held a
 * second (at the next call), or at db_free; up to attempt_batch - 1 of a
 * process's failures are therefore not yet seen by the others.  Now and
 * then a write also deletes rows of windows that have ended. */
enum db_result db_attempt_failed(struct db *db, const char *client_key,
    const struct db_lookup *look);

/* Admin: a user with an initial password record. */
enum db_result db_create_user(struct db *db, const char *email,
    const char *password_record);
/* Admin: stores a code digest for the user, valid for ttl seconds. */
enum db_result db_issue_code(struct db *db, const char *email,
    const char *code_sha256, long ttl);
/* Admin: copies the user's password record into out (HASHREC_MAX). */
enum db_result db_password_record(struct db *db, const char *email,
    char *out, size_t outlen);

/* ---- the recover endpoint and the mailer (table mail_queue) ---- */

/* The recover endpoint's one write: queues the request.  With limit > 0
 * and a client key, only while the client has fewer than limit rows in
 * the last window seconds (a non-locking count, then the INSERT); over
 * it, nothing is written, *limited is 1 and *retry_after the seconds
 * until the oldest of those rows leaves the window.  Concurrent requests
 * of one client may each see the count below the limit and all insert:
 * the overshoot is at most the number of requests in flight at once. */
enum db_result db_recover_enqueue(struct db *db, const char *request_id,
    const char *client_key, const char *email, const char *locale,
    long window, int limit, int *limited, long *retry_after);

#define MAIL_LEASE_CHARS	32
#define MAIL_EMAIL_MAX		254
#define MAIL_LOCALE_MAX		35

/* One queued request, as a mailer holds it under its lease. */
struct mail_job {
	char			lease[MAIL_LEASE_CHARS + 1];	/* set by the caller */
	unsigned long long	id;
	unsigned long long	attempts;	/* this one included */
	long long		age;		/* seconds since it was queued */
	char			request_id[65];
	char			email[MAIL_EMAIL_MAX * 4 + 1];	/* "" when wiped */
	char			locale[MAIL_LOCALE_MAX + 1];
};

/* Takes the oldest due row under the lease job->lease for lease_seconds
 * and fills job.  DB_NOT_FOUND when nothing is due. */
enum db_result db_mail_claim(struct db *db, long lease_seconds,
    struct mail_job *job);

enum mail_reserve {
	RESERVE_SEND,		/* go ahead: code stored, caps counted */
	RESERVE_SUPPRESSED,	/* over a per-account cap */
	RESERVE_UNKNOWN,	/* no account has this address */
	RESERVE_LOST,		/* the lease ran out meanwhile */
};

/* In one transaction with the account's row locked (so that concurrent
 * mailers see each other's decisions): finds the account by the address
 * (the column's case-insensitive collation), applies the caps (a mail
 * within interval seconds, or daily_limit mails in 24 hours: suppressed),
 * stores the code's digest valid for code_ttl seconds, and marks the row
 * as committed to a mail.  rcpt gets the address stored for the account
 * and *user_id its id. */
enum db_result db_mail_reserve_account(struct db *db,
    const struct mail_job *job, const char *code_sha256, long code_ttl,
    long interval, int daily_limit, char *rcpt, size_t rcptlen,
    unsigned long long *user_id, enum mail_reserve *result);

/* The same caps for a notice to an address with no account (counted by
 * the address; not serialised across mailers). */
enum db_result db_mail_reserve_address(struct db *db,
    const struct mail_job *job, long interval, int daily_limit,
    enum mail_reserve *result);

/* Records the outcome (state "sent", "suppressed", "unknown", "failed" or
 * "expired"; smtp_status 0 for none); with end_code the code stored for
 * this row ends.  *lost is 1 when the lease was no longer ours (nothing
 * written). */
enum db_result db_mail_finish(struct db *db, const struct mail_job *job,
    const char *state, unsigned long long user_id, long smtp_status,
    int end_code, int *lost);

/* A transient failure: the code ends, the row is due again in delay
 * seconds and the lease is given back. */
enum db_result db_mail_retry(struct db *db, const struct mail_job *job,
    long delay, long smtp_status, int *lost);

/* Wipes the address and the client key of up to 500 rows older than
 * retention seconds; *wiped says how many. */
enum db_result db_mail_wipe(struct db *db, long retention,
    unsigned long long *wiped);

/* Admin: the rows in one state and the age of the oldest (seconds). */
enum db_result db_mail_state_count(struct db *db, const char *state,
    unsigned long long *count, long long *oldest_seconds);

/* Admin: puts a finished row back in the queue, due now, attempts 0.
 * DB_NOT_FOUND when there is no such finished row with its address. */
enum db_result db_mail_requeue(struct db *db, unsigned long long id);

/* Admin: calls each() for every open code of the user (id, creation and
 * expiry as UTC "YYYY-MM-DDTHH:MM:SSZ"); *count gets their number.
 * DB_NOT_FOUND when there is no such user. */
enum db_result db_list_codes(struct db *db, const char *email,
    void (*each)(void *arg, unsigned long long id, const char *created,
    const char *expires), void *arg, unsigned long long *count);
/* Admin: ends every open code of the user; *n gets how many. */
enum db_result db_revoke_codes(struct db *db, const char *email,
    unsigned long long *n);
/* Admin: revokes every live token of the user; *n gets how many. */
enum db_result db_revoke_user_tokens(struct db *db, const char *email,
    unsigned long long *n);
/* Admin: the failures counted for client_key in the current window of
 * window seconds (0 when none), and the seconds until it ends. */
enum db_result db_attempts_show(struct db *db, const char *client_key,
    long window, long *failures, long *seconds_left);
/* Admin: deletes every counter of client_key; *n gets how many. */
enum db_result db_attempts_clear(struct db *db, const char *client_key,
    unsigned long long *n);

/* Health: one round trip on the connection (opened, or reopened, if
 * need be).  DB_OK, DB_UNAVAILABLE or DB_ERROR. */
enum db_result db_ping(struct db *db);

/* The last error in words, for the log only (never holds secrets: no
 * statement carries a secret in its text, only bound digests). */
const char *db_last_error(const struct db *db);

/* How often the last call was run again (deadlock, lock wait,
 * certification failure, a lost connection or a node not ready moving it
 * to another host), and in *why (when not NULL) the error that caused the
 * last rerun: for the caller's log line. */
int db_reruns(const struct db *db, const char **why);

/* The host (db_hosts entry, or "option file") the connection is on. */
const char *db_host(const struct db *db);

#endif
