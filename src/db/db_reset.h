/*
 * db_reset.h: the reset endpoint's lookups and its one transaction (db_reset.c).
 */
#ifndef AR_DB_RESET_H
#define AR_DB_RESET_H

#include <stddef.h>

#include "db/db.h"
#include "password/token.h"

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
	/* The "password changed" notice (notify_password_changed): queued
	 * in this transaction when notify is set, with the request id and
	 * the client key ("" when none) it shows. */
	int			 notify;
	const char		*request_id;
	const char		*client_key;
};

/* The reset, as one transaction: the code is locked and re-checked, the
 * password stored, every open code of the user ended, the notice queued
 * (with w->notify: a mail_queue row of kind 'changed' to the account's
 * address in the code's locale), the user's tokens revoked and the new
 * one stored, with the events password.reset and (when there were live
 * tokens) tokens.revoked and their webhook outbox rows.  DB_NOT_FOUND when the code was used or
 * expired meanwhile (nothing written).  Deadlocks, lock wait timeouts and
 * Galera certification failures (1213 at COMMIT) are rerun up to
 * cfg->db_retries times (see db_reruns); a COMMIT whose connection broke
 * is never rerun (DB_UNAVAILABLE: it may have taken effect). */
enum db_result db_commit_reset(struct db *db, const struct reset_write *w);

#endif
