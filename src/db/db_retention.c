/*
 * db_retention.c: retention's batches (db_retention.h).
 *
 * Each batch is two statements.  A plain SELECT (a consistent read: no
 * lock) walks the primary key from the cursor and returns the first and
 * last id of the next rows past retention, and their number; then a
 * DELETE by that id range, with the same condition, removes them in one
 * short autocommit transaction.  Ids grow with time, so what is old sits
 * at the start of the key and a batch's range holds little else: rows it
 * does not delete (a code with a year-long --ttl) are only locked for
 * the DELETE's milliseconds.  On a Galera cluster each batch is one small
 * write set.  No index is added for this: each costs every request.
 */
#include "ac-config.h"

#include "db/db-internal.h"
#include "db/db_retention.h"

#define OLD	"< UTC_TIMESTAMP(6) - INTERVAL ? SECOND"

/* The condition of each table: its rows past retention (two binds). */
#define CODES_OLD	"(expires_at " OLD " OR used_at " OLD ")"
#define TOKENS_OLD	"(refresh_expires_at " OLD " OR revoked_at " OLD ")"
#define QUEUE_OLD	"(state <> 'queued' AND created_at " OLD \
			" AND COALESCE(finished_at, created_at) " OLD ")"

#define RANGE(table, cond) \
	"SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM " \
	"(SELECT id FROM " table " WHERE id > ? AND " cond \
	" ORDER BY id LIMIT ?) b"
#define DELETE(table, cond) \
	"DELETE FROM " table " WHERE id BETWEEN ? AND ? AND " cond

struct purge {
	const char		*table;
	long			 floor;
	struct stmt_def		 range, del;
};

static const struct purge purges[RT_COUNT] = {
	[RT_CODES] = { "reset_codes", 3600,
	    { RANGE("reset_codes", CODES_OLD), 4, 3 },
	    { DELETE("reset_codes", CODES_OLD), 4, 0 } },
	[RT_TOKENS] = { "tokens", 3600,
	    { RANGE("tokens", TOKENS_OLD), 4, 3 },
	    { DELETE("tokens", TOKENS_OLD), 4, 0 } },
	[RT_MAIL_QUEUE] = { "mail_queue", 172800,
	    { RANGE("mail_queue", QUEUE_OLD), 4, 3 },
	    { DELETE("mail_queue", QUEUE_OLD), 4, 0 } },
};

const char *
db_retention_table(enum retention_table t)
{
	return purges[t].table;
}

long
db_retention_floor(enum retention_table t)
{
	return purges[t].floor;
}

enum db_result
db_retention_batch(struct db *db, enum retention_table t, long retention,
    long batch, unsigned long long *cursor, unsigned long long *deleted)
{
	const struct purge	*p = &purges[t];
	long long		 secs = retention < p->floor ? p->floor :
				    retention;
	long long		 limit = batch;
	unsigned long long	 lo = 0, hi = 0, n = 0;
	struct val		 rin[] = { U64(cursor), I64(&secs), I64(&secs),
				    I64(&limit) };
	struct val		 rout[] = { U64(&lo), U64(&hi), U64(&n) };
	struct val		 din[] = { U64(&lo), U64(&hi), I64(&secs),
				    I64(&secs) };
	enum db_result		 rc;

	*deleted = 0;
	rc = dbi_statement(db, &p->range, rin, NELEM(rin), rout, NELEM(rout),
	    NULL);
	if (rc != DB_OK)
		return rc;
	if (n == 0) {
		*cursor = 0;
		return DB_NOT_FOUND;
	}
	rc = dbi_statement(db, &p->del, din, NELEM(din), NULL, 0, deleted);
	if (rc == DB_OK)
		*cursor = hi;
	return rc;
}

long
db_retention_of(const struct config *cfg, enum retention_table t)
{
	switch (t) {
	case RT_CODES:
		return cfg->retention_codes;
	case RT_TOKENS:
		return cfg->retention_tokens;
	case RT_MAIL_QUEUE:
	case RT_COUNT:
		break;
	}
	return cfg->retention_mail_queue;
}

enum db_result
db_retention_purge(struct db *db, const struct config *cfg,
    enum retention_table t, int max_batches, unsigned long long *cursor,
    unsigned long long *deleted, int *more)
{
	long			retention = db_retention_of(cfg, t);
	unsigned long long	n;
	enum db_result		rc;
	int			i;

	*more = 0;
	if (retention == 0)
		return DB_OK;
	for (i = 0; max_batches == 0 || i < max_batches; i++) {
		rc = db_retention_batch(db, t, retention, cfg->purge_batch,
		    cursor, &n);
		if (rc == DB_NOT_FOUND)
			return DB_OK;
		if (rc != DB_OK)
			return rc;
		*deleted += n;
	}
	*more = 1;
	return DB_OK;
}
