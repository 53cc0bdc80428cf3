/*
 * db_mail.h: the recover endpoint's queue and the mailer's statements
 * (table mail_queue; db_mail.c).
 */
#ifndef AR_DB_MAIL_H
#define AR_DB_MAIL_H

#include <stddef.h>

#include "db/db.h"

/* Who asks, at three widths ("" where none can be told: not limited). */
struct recover_client {
	const char	*key;		/* IPv4 address, IPv6 /64 */
	const char	*net;		/* IPv4 /24, IPv6 /48 */
	const char	*provider;	/* IPv4 /16, IPv6 /32 */
};

/* Rows per window seconds for each width; 0 = that width is not limited. */
struct recover_caps {
	long		 window;
	int		 key, net, provider;
};

/* The recover endpoint's one write: queues the request.  Only while the
 * client's key, network and provider each have fewer rows than their
 * cap in the last window seconds (non-locking counts, then the INSERT);
 * over one, nothing is written, *limited is 1 and *retry_after the
 * seconds until the oldest of those rows leaves the window.  Concurrent
 * requests may each see a count below its cap and all insert: the
 * overshoot is at most the number of requests in flight at once. */
enum db_result db_recover_enqueue(struct db *db, const char *request_id,
    const struct recover_client *client, const char *email,
    const char *locale, const struct recover_caps *caps, int *limited,
    long *retry_after);

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
	char			client_key[65];	/* who asked; "" when none */
	char			email[MAIL_EMAIL_MAX * 4 + 1];	/* "" when wiped */
	char			locale[MAIL_LOCALE_MAX + 1];
	/* kind 'changed': the notice after a reset, to user_id's address
	 * (email), showing when (created, Unix time) and the client key. */
	int			changed;
	unsigned long long	user_id;
	long long		created;
};

/* Prepares every statement a mail row may run (this file's and the
 * events'), so that a row's time holds no first use: the mailer pads
 * rows that send nothing to the time of a send (issue 19, point 1). */
enum db_result db_mail_prepare(struct db *db);

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

/* The recover request's locale goes with the code (reset_codes.locale),
 * for the notice after a reset with it.
 * In one transaction with the account's row locked (so that concurrent
 * mailers see each other's decisions): finds the account by the address
 * (the column's case-insensitive collation), applies the caps (for the
 * row's client: a mail within interval seconds, or daily_limit mails in
 * 24 hours; for everyone: ceiling mails in 24 hours: suppressed),
 * stores the code's digest valid for code_ttl seconds, and marks the row
 * as committed to a mail.  rcpt gets the address stored for the account
 * and *user_id its id. */
enum db_result db_mail_reserve_account(struct db *db,
    const struct mail_job *job, const char *code_sha256, long code_ttl,
    long interval, int daily_limit, int ceiling, char *rcpt, size_t rcptlen,
    unsigned long long *user_id, enum mail_reserve *result);

/* The caps for a notice to an address with no account: interval and
 * daily_limit counted by the address normalised (lower case, no +tag, no
 * dots for Gmail), domain_limit notices to its domain in 24 hours; not
 * serialised across mailers. */
enum db_result db_mail_reserve_address(struct db *db,
    const struct mail_job *job, long interval, int daily_limit,
    int domain_limit, enum mail_reserve *result);

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

/* Metrics: the queued rows due now (not under a lease) and how long the
 * oldest of them has been due (seconds). */
enum db_result db_mail_due_oldest(struct db *db, unsigned long long *count,
    long long *oldest_seconds);

/* Admin: the rows in one state and the age of the oldest (seconds). */
enum db_result db_mail_state_count(struct db *db, const char *state,
    unsigned long long *count, long long *oldest_seconds);

/* Admin: puts a finished row back in the queue, due now, attempts 0.
 * DB_NOT_FOUND when there is no such finished row with its address. */
enum db_result db_mail_requeue(struct db *db, unsigned long long id);

#endif
