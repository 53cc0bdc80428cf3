/*
 * db_tokens.c: the token endpoints' statements (see db_tokens.h).
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "db/db-internal.h"
#include "db/db_tokens.h"

enum {
	TK_ACCESS_GRANT,
	TK_REFRESH_GRANT,
	TK_LOCK_REFRESH,
	TK_ROTATE,
	TK_INSERT_ROTATED,
	TK_END_FAMILY,
	TK_FIND_ACCESS_ROW,
	TK_END_ROW,
	TK_TOKEN_ATTEMPTS,
	NSTMTS
};

/* The Unix time a DATETIME column of UTC ends at, whatever the session's
 * time zone (UNIX_TIMESTAMP(col) would read col in that zone). */
#define UNIX_END(col) \
	"CAST(UNIX_TIMESTAMP() + TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), " \
	col ") AS SIGNED)"

static const struct stmt_def stmts[NSTMTS] = {
	/* The check of every request a site serves: one unique-index
	 * lookup, no join. */
	[TK_ACCESS_GRANT] = {
	    "SELECT user_id, " UNIX_END("access_expires_at") ", client_id, "
	    "scope FROM tokens WHERE access_sha256 = ? AND revoked_at IS NULL "
	    "AND access_expires_at > UTC_TIMESTAMP(6)", 1, 4 },
	[TK_REFRESH_GRANT] = {
	    "SELECT user_id, " UNIX_END("refresh_expires_at") ", client_id, "
	    "scope FROM tokens WHERE refresh_sha256 = ? AND revoked_at IS NULL "
	    "AND refresh_expires_at > UTC_TIMESTAMP(6)", 1, 4 },
	[TK_LOCK_REFRESH] = {
	    "SELECT id, user_id, IFNULL(family_id, id), client_id, scope, "
	    "revoked_at IS NULL AND refresh_expires_at > UTC_TIMESTAMP(6), "
	    "rotated_at IS NOT NULL FROM tokens WHERE refresh_sha256 = ? "
	    "FOR UPDATE", 1, 7 },
	[TK_ROTATE] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6), "
	    "rotated_at = UTC_TIMESTAMP(6) WHERE id = ?", 1, 0 },
	[TK_INSERT_ROTATED] = {
	    "INSERT INTO tokens (user_id, access_sha256, refresh_sha256, "
	    "client_id, scope, created_at, access_expires_at, "
	    "refresh_expires_at, family_id) VALUES (?, ?, ?, ?, ?, "
	    "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?)", 8, 0 },
	/* Two index lookups (PRIMARY and tokens_family). */
	[TK_END_FAMILY] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE (id = ? OR family_id = ?) AND revoked_at IS NULL", 2, 0 },
	[TK_FIND_ACCESS_ROW] = {
	    "SELECT id FROM tokens WHERE access_sha256 = ?", 1, 1 },
	[TK_END_ROW] = {
	    "UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND revoked_at IS NULL", 1, 0 },
	/* As db_reset.c's CHECK_CODE, without the code. */
	[TK_TOKEN_ATTEMPTS] = {
	    "SELECT (SELECT IFNULL(SUM(failures), 0) FROM attempt_failures "
	    "WHERE client_key = ? AND window_start = w.ws), w.ws, "
	    "CAST(w.ws AS SIGNED) + ? - UNIX_TIMESTAMP() "
	    "FROM (SELECT UNIX_TIMESTAMP() DIV ? * ? AS ws) AS w", 4, 3 },
};

static enum db_result
grant(struct db *db, int which, const char *sha256, struct db_grant *g)
{
	struct val	in[] = { TEXT_IN(sha256) };
	struct val	out[] = { U64(&g->user_id), I64(&g->expires),
			    TEXT_OUT(g->client_id, sizeof(g->client_id)),
			    TEXT_OUT(g->scope, sizeof(g->scope)) };

	memset(g, 0, sizeof(*g));
	return dbi_statement(db, &stmts[which], in, NELEM(in), out,
	    NELEM(out), NULL);
}

enum db_result
db_access_grant(struct db *db, const char *access_sha256, struct db_grant *g)
{
	return grant(db, TK_ACCESS_GRANT, access_sha256, g);
}

enum db_result
db_refresh_grant(struct db *db, const char *refresh_sha256,
    struct db_grant *g)
{
	return grant(db, TK_REFRESH_GRANT, refresh_sha256, g);
}

/* Ends every row of the family whose first row is family_id. */
static enum db_result
end_family(struct db *db, unsigned long long family_id)
{
	unsigned long long	 fam = family_id;
	struct val		 in[] = { U64(&fam), U64(&fam) };

	return dbi_run(db, &stmts[TK_END_FAMILY], in, NELEM(in), NULL, 0, NULL);
}

/* The refresh transaction's statements (run again, from the start, by
 * the rerun rule). */
static enum db_result
refresh_body(struct db *db, void *arg)
{
	struct db_refresh	*r = arg;
	unsigned long long	 id = 0;
	long long		 live = 0, rotated = 0;
	long long		 access_ttl = db->cfg->access_token_lifetime;
	long long		 refresh_ttl = db->cfg->refresh_token_lifetime;
	struct val		 lock_in[] = { TEXT_IN(r->refresh_sha256) };
	struct val		 lock_out[] = { U64(&id), U64(&r->user_id),
				    U64(&r->family_id),
				    TEXT_OUT(r->client_id_out,
				    sizeof(r->client_id_out)),
				    TEXT_OUT(r->scope, sizeof(r->scope)),
				    I64(&live), I64(&rotated) };
	struct val		 id_in[] = { U64(&id) };
	struct val		 ins_in[] = { U64(&r->user_id),
				    TEXT_IN(r->new_access_sha256),
				    TEXT_IN(r->new_refresh_sha256),
				    TEXT_IN(r->client_id_out),
				    TEXT_IN(r->scope), I64(&access_ttl),
				    I64(&refresh_ttl), U64(&r->family_id) };
	enum db_result		 rc;

	r->outcome = DB_REFRESH_INVALID;
	rc = dbi_run(db, &stmts[TK_LOCK_REFRESH], lock_in, NELEM(lock_in),
	    lock_out, NELEM(lock_out), NULL);
	if (rc == DB_NOT_FOUND)
		return DB_OK;		/* unknown: nothing to change */
	if (rc != DB_OK)
		return rc;
	if (rotated) {
		r->outcome = DB_REFRESH_REUSED;
		return end_family(db, r->family_id);
	}
	if (!live)
		return DB_OK;		/* revoked or expired: it stays so */
	if (r->client_id != NULL && strcmp(r->client_id, r->client_id_out) != 0)
		return DB_OK;		/* RFC 6749 6: bound to its client */
	if ((rc = dbi_run(db, &stmts[TK_ROTATE], id_in, NELEM(id_in), NULL, 0,
	    NULL)) != DB_OK)
		return rc;
	/* Rebound after the SELECT filled the text buffers. */
	ins_in[3].len = (unsigned long)strlen(r->client_id_out);
	ins_in[4].len = (unsigned long)strlen(r->scope);
	rc = dbi_run(db, &stmts[TK_INSERT_ROTATED], ins_in, NELEM(ins_in), NULL, 0,
	    NULL);
	if (rc == DB_CONFLICT)
		rc = DB_ERROR;	/* a 256-bit token collided: never expected */
	if (rc == DB_OK)
		r->outcome = DB_REFRESHED;
	return rc;
}

enum db_result
db_refresh(struct db *db, struct db_refresh *r)
{
	return dbi_transaction(db, refresh_body, r);
}

struct revoke_arg {
	const char	*sha256;
	int		 found;
};

/* An access token ends its row; a refresh token its family. */
static enum db_result
revoke_body(struct db *db, void *arg)
{
	struct revoke_arg	*a = arg;
	unsigned long long	 id = 0, user = 0, family = 0;
	long long		 live = 0, rotated = 0;
	char			 client[DB_TOKEN_TEXT_MAX], scope[DB_TOKEN_TEXT_MAX];
	struct val		 in[] = { TEXT_IN(a->sha256) };
	struct val		 id_out[] = { U64(&id) };
	struct val		 id_in[] = { U64(&id) };
	struct val		 lock_out[] = { U64(&id), U64(&user),
				    U64(&family), TEXT_OUT(client, sizeof(client)),
				    TEXT_OUT(scope, sizeof(scope)), I64(&live),
				    I64(&rotated) };
	enum db_result		 rc;

	a->found = 0;
	rc = dbi_run(db, &stmts[TK_LOCK_REFRESH], in, NELEM(in), lock_out,
	    NELEM(lock_out), NULL);
	if (rc == DB_OK) {
		a->found = 1;
		return end_family(db, family);
	}
	if (rc != DB_NOT_FOUND)
		return rc;
	rc = dbi_run(db, &stmts[TK_FIND_ACCESS_ROW], in, NELEM(in), id_out,
	    NELEM(id_out), NULL);
	if (rc == DB_NOT_FOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	a->found = 1;
	return dbi_run(db, &stmts[TK_END_ROW], id_in, NELEM(id_in), NULL, 0, NULL);
}

enum db_result
db_revoke_token(struct db *db, const char *sha256, int *found)
{
	struct revoke_arg	a = { sha256, 0 };
	enum db_result		rc;

	rc = dbi_transaction(db, revoke_body, &a);
	*found = a.found;
	return rc;
}

enum db_result
db_token_attempts(struct db *db, const char *client_key, long window,
    unsigned long long *failures, unsigned long long *window_start,
    long *retry_after)
{
	long long	w = window, left = 0;
	struct val	in[] = { TEXT_IN(client_key), I64(&w), I64(&w), I64(&w) };
	struct val	out[] = { U64(failures), U64(window_start), I64(&left) };
	enum db_result	rc;

	*failures = 0;
	*window_start = 0;
	dbi_attempts_flush_if_due(db);
	rc = dbi_statement(db, &stmts[TK_TOKEN_ATTEMPTS], in, NELEM(in), out,
	    NELEM(out), NULL);
	if (rc == DB_NOT_FOUND)
		rc = dbi_fail(db, 0, "token attempts", "no row");
	*failures += dbi_attempts_pending(db, client_key, *window_start);
	*retry_after = left > 0 ? (long)left : 1;
	return rc;
}
