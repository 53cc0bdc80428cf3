/*
 * db_admin.h: the admin CLI's statements (db_admin.c).
 */
#ifndef AR_DB_ADMIN_H
#define AR_DB_ADMIN_H

#include <stddef.h>

#include "db/db.h"

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

#endif
