/*
 * db_events.h: the record of what happened (table events) and the
 * webhook outbox (table webhook_outbox) filled with it (db_events.c).
 * An event never holds a secret: a type, the time, the request id, the
 * user id, the client key, the OS user of an admin action and a short
 * ASCII detail.
 */
#ifndef AR_DB_EVENTS_H
#define AR_DB_EVENTS_H

#include <stddef.h>

#include "db/db.h"

#define EVENT_TYPE_MAX		40
#define EVENT_DETAIL_MAX	255
#define EVENT_ACTOR_MAX		64

/* The event types the code writes (README section 11 lists them). */
#define EVENT_RECOVERY_REQUESTED "recovery.requested"
#define EVENT_PASSWORD_RESET	"password.reset"
#define EVENT_TOKENS_REVOKED	"tokens.revoked"
#define EVENT_TOKENS_REUSE	"tokens.reuse_detected"

struct event {
	const char		*type;		/* EVENT_* or "mail.sent", "admin.X" */
	const char		*request_id;	/* NULL: none */
	unsigned long long	 user_id;	/* 0: none, or by email */
	const char		*email;		/* NULL, or the user's address */
	const char		*client_key;	/* NULL: none */
	const char		*actor;		/* NULL, or the OS user */
	const char		*detail;	/* NULL, or short ASCII */
};

/* 1 for the types a site is told of through webhook_url: password.reset,
 * tokens.revoked and tokens.reuse_detected. */
int events_webhook_type(const char *type);

/* Records one event in a transaction of its own, with its webhook outbox
 * row when webhook_url is set and the type is a webhook type.  The user
 * is e->user_id, or (0) the account with e->email if there is one.  Any
 * part of the code (the tokens' reuse detection too) records through
 * this: events_record() in a word. */
enum db_result db_events_record(struct db *db, const struct event *e);

/* One row as listed. */
struct event_row {
	unsigned long long	id;
	char			created[40];	/* 2026-12-06T19:46:00.123456Z */
	char			type[EVENT_TYPE_MAX + 1];
	char			request_id[65];
	unsigned long long	user_id;	/* 0: none */
	char			client_key[65];
	char			actor[EVENT_ACTOR_MAX * 4 + 1];
	char			detail[EVENT_DETAIL_MAX + 1];
};

/* Admin: calls each() for every event in id order, of the user with this
 * address (NULL: every event), at or after since (UTC "YYYY-MM-DD
 * HH:MM:SS"; NULL: all); *count gets their number.  DB_NOT_FOUND when
 * email names no user. */
enum db_result db_events_list(struct db *db, const char *email,
    const char *since, void (*each)(void *arg, const struct event_row *row),
    void *arg, unsigned long long *count);

/* Deletes up to 500 events older than retention seconds, and up to 500
 * webhook outbox rows as old (delivered or not); *deleted says how many
 * in all. */
enum db_result db_events_purge(struct db *db, long retention,
    unsigned long long *deleted);

/* The webhook outbox, as the mailer works it off. */
#define WEBHOOK_LEASE_CHARS	32
struct webhook_job {
	char			lease[WEBHOOK_LEASE_CHARS + 1]; /* by the caller */
	unsigned long long	id;		/* the outbox row: webhook-id */
	unsigned long long	attempts;	/* this one included */
	unsigned long long	event_id;
	unsigned long long	user_id;	/* 0: none */
	char			type[EVENT_TYPE_MAX + 1];
	char			created[40];	/* as in event_row */
	char			request_id[65];
};

/* Takes the oldest due outbox row under job->lease for lease_seconds.
 * DB_NOT_FOUND when nothing is due. */
enum db_result db_webhook_claim(struct db *db, long lease_seconds,
    struct webhook_job *job);

/* The outcome: "delivered" or "failed" (given up); *lost is 1 when the
 * lease was no longer ours. */
enum db_result db_webhook_finish(struct db *db, const struct webhook_job *job,
    const char *state, long http_status, int *lost);

/* Due again in delay seconds, the lease given back. */
enum db_result db_webhook_retry(struct db *db, const struct webhook_job *job,
    long delay, long http_status, int *lost);

#endif
