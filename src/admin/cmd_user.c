/*
 * cmd_user.c: the admin commands about one user: create-user,
 * issue-code, check-password, list-codes, revoke-codes, revoke-tokens.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin/admin.h"
#include "db/db_admin.h"
#include "password/hashrec.h"
#include "password/policy.h"
#include "password/rules.h"
#include "password/token.h"
#include "base/utf8.h"

int
cmd_create_user(struct admin *a)
{
	char		pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t		len;
	unsigned	v, bit;
	int		rc = EXIT_ERROR;

	if ((len = admin_read_password(pw, PASSWORD_READ_MAX, "Password: ", 1)) == -1)
		goto out;
	if (len == 0) {
		fprintf(stderr, "account-reset-admin: no password given\n");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (utf8_validate(pw, (size_t)len, NULL) == -1) {
		fprintf(stderr, "account-reset-admin: the password is not "
		    "valid UTF-8\n");
		rc = EXIT_REFUSED;
		goto out;
	}
	/* The responder's checks, all of them: here the account is known
	 * from the start. */
	if ((v = policy_violations(pw, (size_t)len)) == 0)
		v = policy_account_violations(pw, (size_t)len, a->arg);
	if (v != 0) {
		for (bit = 1; bit <= RULE_ALL; bit <<= 1)
			if (v & bit)
				fprintf(stderr, "account-reset-admin: %s\n",
				    rule_description(bit));
		rc = EXIT_REFUSED;
		goto out;
	}
	if (hashrec_make(a->cfg->pbkdf2_engine, pw, (size_t)len,
	    a->cfg->pbkdf2_iterations, record) == -1) {
		fprintf(stderr, "account-reset-admin: hashing failed\n");
		goto out;
	}
	switch (db_create_user(a->db, a->arg, record)) {
	case DB_OK:
		rc = EXIT_DONE;
		break;
	case DB_CONFLICT:
		fprintf(stderr, "account-reset-admin: %s already exists\n",
		    a->arg);
		rc = EXIT_REFUSED;
		break;
	default:
		rc = admin_db_failed(a->db, "create-user");
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(record, sizeof(record));
	return rc;
}

int
cmd_issue_code(struct admin *a)
{
	char	code[CODE_CHARS + 1], digest[SHA256_HEX_CHARS + 1];
	long	ttl = a->ttl == -1 ? a->cfg->code_lifetime : a->ttl;
	int	rc;

	if (random_base64url(CODE_BYTES, code) == -1) {
		fprintf(stderr, "account-reset-admin: RAND_bytes failed\n");
		return EXIT_ERROR;
	}
	sha256_hex(code, CODE_CHARS, digest);
	switch (db_issue_code(a->db, a->arg, digest, ttl)) {
	case DB_OK:
		printf("%s\n", code);
		rc = fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
		break;
	case DB_NOT_FOUND:
		rc = admin_no_user(a->arg);
		break;
	default:
		rc = admin_db_failed(a->db, "issue-code");
	}
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

int
cmd_check_password(struct admin *a)
{
	char	pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t	len;
	int	rc = EXIT_ERROR;

	if ((len = admin_read_password(pw, PASSWORD_READ_MAX, "Password: ", 0)) == -1)
		goto out;
	switch (db_password_record(a->db, a->arg, record, sizeof(record))) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		rc = EXIT_REFUSED;
		goto out;
	default:
		rc = admin_db_failed(a->db, "check-password");
		goto out;
	}
	switch (hashrec_verify(a->cfg->pbkdf2_engine, record, pw, (size_t)len)) {
	case 1:
		rc = EXIT_DONE;
		break;
	case 0:
		rc = EXIT_REFUSED;
		break;
	default:
		fprintf(stderr, "account-reset-admin: the stored record of %s "
		    "is not a pbkdf2_sha256 record\n", a->arg);
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

/* Prints one open code: its id and times (the code itself is not
 * stored, only its digest, which is not printed either). */
static void
print_code(void *arg, unsigned long long id, const char *created,
    const char *expires)
{
	(void)arg;
	printf("code %llu created %s expires %s\n", id, created, expires);
}

int
cmd_list_codes(struct admin *a)
{
	unsigned long long	n = 0;

	switch (db_list_codes(a->db, a->arg, print_code, NULL, &n)) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		return admin_no_user(a->arg);
	default:
		return admin_db_failed(a->db, "list-codes");
	}
	printf("%llu open code%s\n", n, n == 1 ? "" : "s");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* revoke-codes and revoke-tokens: one per-user change, its count. */
static int
revoke_for_user(struct admin *a, enum db_result (*change)(struct db *, const char *,
    unsigned long long *), const char *noun, const char *what)
{
	unsigned long long	n = 0;

	switch (change(a->db, a->arg, &n)) {
	case DB_OK:
		printf("%llu %s%s revoked\n", n, noun, n == 1 ? "" : "s");
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
	case DB_NOT_FOUND:
		return admin_no_user(a->arg);
	default:
		return admin_db_failed(a->db, what);
	}
}

int
cmd_revoke_codes(struct admin *a)
{
	return revoke_for_user(a, db_revoke_codes, "code", "revoke-codes");
}

int
cmd_revoke_tokens(struct admin *a)
{
	return revoke_for_user(a, db_revoke_user_tokens, "token", "revoke-tokens");
}
