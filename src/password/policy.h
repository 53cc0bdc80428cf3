/*
 * policy.h: every check on a new password, in the order the reset flow
 * runs them (docs/BLOCKLIST.md):
 *
 *   1. the spec's rules (rules.h) and
 *   2. the checks that need no account: repetitive (context.h) and
 *      common_password (the blocklist named by password_blocklist), all
 *      listed together in one answer, so that fixing one never meets a
 *      second refusal for another that was already known;
 *   3. once the code is found valid, the check that needs the account:
 *      contains_email.
 *
 * The process holds at most one blocklist, loaded at start (before the
 * supervisor forks its workers, so they share it) and replaced only by a
 * load that succeeds (SIGHUP).
 */
#ifndef AR_POLICY_H
#define AR_POLICY_H

#include <stddef.h>


#define POLICY_PATH_MAX	256

/* Loads the blocklist at path (none when path is empty: password_blocklist)
 * in place of the current one.  flags are blocklist_load's.  On error
 * returns -1, keeps the current list and writes a message naming the key
 * and the file to err. */
int policy_load(const char *path, unsigned flags, char *err,
    size_t errlen);

/* A line for the log about the list in use ("no password blocklist" or
 * "password blocklist PATH: N entries, compact file"). */
void policy_describe(char *buf, size_t len);

/* Drops the list (at exit, so that leak checkers stay quiet). */
void policy_unload(void);

/* Steps 1 and 2 for valid UTF-8 pw: every violation among the rules,
 * repetitive (not for a password that is too short) and common_password,
 * or 0. */
unsigned policy_violations(const char *pw, size_t len);

/* Step 3: RULE_CONTAINS_EMAIL or 0. */
unsigned policy_account_violations(const char *pw, size_t len,
    const char *email);

#endif
