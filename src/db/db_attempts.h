/*
 * db_attempts.h: counting failed code attempts (db_attempts.c).
 */
#ifndef AR_DB_ATTEMPTS_H
#define AR_DB_ATTEMPTS_H

#include <stddef.h>

#include "db/db.h"

/* Counts one failed code attempt for client_key in the window that
 * began at window_start (db_lookup's, from db_check_code).  Failures
 * are written in this process's own rows
 * (so that processes and cluster nodes never contend for one row), once
 * cfg->attempt_batch of them are held or the oldest has been held a
 * second (at the next call), or at db_free; up to attempt_batch - 1 of a
 * process's failures are therefore not yet seen by the others.  Now and
 * then a write also deletes rows of windows that have ended. */
enum db_result db_attempt_failed(struct db *db, const char *client_key,
    unsigned long long window_start);

/* The exact limit, for processes that serve one request (CGI): counts
 * one attempt of client_key in the current window now, before its code
 * is looked up, so that concurrent processes see each other's attempts
 * (issue 19, "Also").  Of requests that each reserve and then count
 * (db_check_code), the k-th to commit sees at least k: no more than
 * attempt_limit of them can see the limit not reached.  A request that
 * turns out not to be a failed attempt (refused, or a valid code)
 * releases its attempt; a failed one keeps it (no db_attempt_failed). */
enum db_result db_attempt_reserve(struct db *db, const char *client_key,
    long window);
enum db_result db_attempt_release(struct db *db, const char *client_key);

#endif
