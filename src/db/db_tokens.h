/*
 * db_tokens.h: the statements of the token endpoints (db_tokens.c): the
 * check of an access token (the auth_request location, the FastCGI
 * Authorizer), introspection, the refresh with rotation and reuse
 * detection, revocation, and the attempt count of those endpoints.  Only
 * SHA-256 digests of tokens are ever bound; a token's text never reaches
 * this layer.
 */
#ifndef AR_DB_TOKENS_H
#define AR_DB_TOKENS_H

#include "db/db.h"
#include "password/token.h"

#define DB_TOKEN_TEXT_MAX	(255 * 4 + 1)	/* VARCHAR(255) utf8mb4, NUL */

/* A live token's grant. */
struct db_grant {
	unsigned long long	user_id;
	long long		expires;	/* Unix time the token ends */
	char			client_id[DB_TOKEN_TEXT_MAX];
	char			scope[DB_TOKEN_TEXT_MAX];
};

/* The grant of a live (not revoked, not expired) access token, by its
 * digest: one indexed lookup (tokens_access).  DB_OK, DB_NOT_FOUND,
 * DB_UNAVAILABLE or DB_ERROR. */
enum db_result db_access_grant(struct db *db, const char *access_sha256,
    struct db_grant *out);

/* The same for a live refresh token (introspection of a refresh token). */
enum db_result db_refresh_grant(struct db *db, const char *refresh_sha256,
    struct db_grant *out);

/* What a refresh came to. */
enum db_refresh_outcome {
	DB_REFRESHED,		/* the new pair is stored, the old row ended */
	DB_REFRESH_INVALID,	/* unknown, expired, revoked, or bound to
				 * another client: nothing changed */
	DB_REFRESH_REUSED	/* rotated before: its whole family is ended */
};

struct db_refresh {
	/* in */
	char			 refresh_sha256[SHA256_HEX_CHARS + 1];
	char			 new_access_sha256[SHA256_HEX_CHARS + 1];
	char			 new_refresh_sha256[SHA256_HEX_CHARS + 1];
	const char		*client_id;	/* must match, or NULL */
	/* out */
	enum db_refresh_outcome	 outcome;
	unsigned long long	 user_id;
	unsigned long long	 family_id;
	char			 client_id_out[DB_TOKEN_TEXT_MAX];
	char			 scope[DB_TOKEN_TEXT_MAX];
};

/* The refresh (RFC 6749 section 6) as one transaction: the row of the
 * refresh token locked (FOR UPDATE), then either rotated (the row ended
 * and marked rotated, a new row in the same family with fresh lifetimes
 * and the same user, client and scope) or, for a token rotated before,
 * its whole family ended (RFC 9700 section 4.14.2).  Two refreshes of one
 * token on one server queue on the row lock; on two Galera nodes one
 * loses at certification and is rerun: either way the second finds the
 * row rotated, so exactly one gets a new pair.  DB_OK with r->outcome
 * set, or DB_UNAVAILABLE / DB_ERROR (nothing changed). */
enum db_result db_refresh(struct db *db, struct db_refresh *r);

/* Revocation (RFC 7009): the row of an access token, or the whole family
 * of a refresh token (its access tokens end with it).  *found tells
 * whether a token matched (RFC 7009 answers 200 either way). */
enum db_result db_revoke_token(struct db *db, const char *sha256,
    int *found);

/* The failures client_key has in the current window of window seconds
 * (attempt_failures, the same counters as the reset's failed codes, plus
 * this process's not yet written), the window's start and the seconds
 * left of it. */
enum db_result db_token_attempts(struct db *db, const char *client_key,
    long window, unsigned long long *failures,
    unsigned long long *window_start, long *retry_after);

#endif
