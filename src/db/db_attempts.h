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

#endif
