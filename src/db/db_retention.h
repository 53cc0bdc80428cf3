/*
 * db_retention.h: deleting what is no longer needed, in small batches
 * (README section 5, "Retention"): used and expired codes, expired and
 * revoked tokens, finished mail_queue rows, each after its retention.
 * Run by account-reset-admin purge and by the mailer's loop.
 */
#ifndef AR_DB_RETENTION_H
#define AR_DB_RETENTION_H

#include "db/db.h"

enum retention_table { RT_CODES, RT_TOKENS, RT_MAIL_QUEUE, RT_COUNT };

/* The table's name ("reset_codes", "tokens", "mail_queue"). */
const char *db_retention_table(enum retention_table t);

/* The shortest retention a table is purged with, whatever is asked: a
 * code or token just past its end is kept an hour; queue rows two days,
 * since the per-account caps count the last 24 hours of them. */
long db_retention_floor(enum retention_table t);

/*
 * One batch: the next (at most) batch rows of t past retention seconds,
 * found from *cursor (a primary key; 0 to start) by a read that takes no
 * lock, then deleted by their key range in a statement of their own, so
 * that no lock outlives a few milliseconds, and none is ever on a row that
 * a reset uses.  *deleted gets how many went, *cursor moves past them.
 * DB_NOT_FOUND when there were none left (*cursor back to 0).
 */
enum db_result db_retention_batch(struct db *db, enum retention_table t,
    long retention, long batch, unsigned long long *cursor,
    unsigned long long *deleted);

/* The retention the configuration gives t (0: keep for ever). */
long db_retention_of(const struct config *cfg, enum retention_table t);

/* Batches of t (cfg's retention and purge_batch) until none is left, or
 * max_batches of them (0: no bound); *deleted adds what went, *more is 1
 * when it stopped at the bound (the cursor says where to go on).  DB_OK,
 * or the failed batch's error. */
enum db_result db_retention_purge(struct db *db, const struct config *cfg,
    enum retention_table t, int max_batches, unsigned long long *cursor,
    unsigned long long *deleted, int *more);

#endif
