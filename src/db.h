/*
 * db.h: the only code that touches the MYSQL handle.  One connection per
 * process, opened lazily, kept, and reopened when it is lost; statements
 * are prepared once per connection.  Credentials come from a MySQL option
 * file and group (MYSQL_READ_DEFAULT_FILE / MYSQL_READ_DEFAULT_GROUP).
 */
#ifndef AR_DB_H
#define AR_DB_H

#include "config.h"
#include "token.h"

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

/* Names the request that the next calls serve, for the log lines db.c
 * writes itself (transaction reruns).  id must outlive those calls. */
void db_set_request(struct db *db, const char *request_id);

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
 * expired meanwhile (nothing written).  Deadlocks and lock wait timeouts
 * are retried cfg->db_retries times. */
enum db_result db_commit_reset(struct db *db, const struct reset_write *w);

/* Attempt limits.  Stores in *over whether client_key has already failed
 * limit times in the current window of window seconds, and in
 * *retry_after the seconds until that window ends. */
enum db_result db_attempts_over(struct db *db, const char *client_key,
    long window, int limit, int *over, long *retry_after);
/* Counts one failed code attempt for client_key; now and then also
 * deletes the counters of windows that have ended. */
enum db_result db_attempt_failed(struct db *db, const char *client_key,
    long window);

/* Admin: a user with an initial password record. */
enum db_result db_create_user(struct db *db, const char *email,
    const char *password_record);
/* Admin: stores a code digest for the user, valid for ttl seconds. */
enum db_result db_issue_code(struct db *db, const char *email,
    const char *code_sha256, long ttl);
/* Admin: copies the user's password record into out (HASHREC_MAX). */
enum db_result db_password_record(struct db *db, const char *email,
    char *out, size_t outlen);

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

#endif
