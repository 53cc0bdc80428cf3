/*
 * cmd_events.h: account-reset-admin's side of the record (cmd_events.c): the
 * "events" command, and the event every admin action leaves with the OS
 * user who ran it.
 */
#ifndef AR_ADMIN_EVENTS_H
#define AR_ADMIN_EVENTS_H

#include <stddef.h>
#include <time.h>

#include "db/db.h"

/* --since WHEN as UTC "YYYY-MM-DD HH:MM:SS" into out (>= 20 bytes): a
 * UTC date "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with 'T', and 'Z'),
 * or an age "N" followed by s, m, h or d.  0, or -1 (not such a time). */
int events_parse_since(const char *when, time_t now, char *out,
    size_t outlen);

/* events [EMAIL] [--since WHEN] [--json]: prints the events, one line
 * each, or one JSON array; an exit status (0, 1 no such user, 2). */
int events_command(struct db *db, const char *email, const char *since,
    int json);

/* Records "admin.COMMAND" with the OS user running this (getpwuid of the
 * real uid), the account (by email, when the command names one), the
 * client key (of an address the command names), a detail (the exit
 * status, a row id).  A failure is reported on stderr, not fatal. */
void events_admin_action(struct db *db, const char *command,
    const char *email, const char *client_key, const char *detail);

/* tokens.revoked (count n, by the OS user) for revoke-tokens: the site
 * hears of it through its webhook as of a reset's. */
void events_tokens_revoked(struct db *db, const char *email,
    unsigned long long n);

#endif
