/*
 * admin.c: account-reset-admin, the operator's tool until an endpoint
 * issues codes: create-user, issue-code and check-password, and
 * "blocklist build LIST OUT", which turns a text list of passwords into
 * the compact file that password_blocklist may name (blocklist.h).  It
 * finds the configuration the same way the responder does.  Passwords are
 * read from stdin, never from argv (which other users can see).
 *
 * Exit status: 0 done (or the password matches), 1 refused (no such user,
 * user exists, weak password, no match), 2 usage or error.
 */
#include "ac-config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "blocklist.h"
#include "config.h"
#include "db.h"
#include "hashrec.h"
#include "log.h"
#include "number.h"
#include "policy.h"
#include "rules.h"
#include "secure.h"
#include "token.h"

#define PASSWORD_READ_MAX	4096

enum { EXIT_DONE = 0, EXIT_REFUSED = 1, EXIT_ERROR = 2 };

static void
usage(void)
{
	fprintf(stderr,
	    "usage: account-reset-admin [--config FILE] create-user EMAIL"
	    "  (password on stdin)\n"
	    "       account-reset-admin [--config FILE] issue-code EMAIL"
	    " [--ttl SECONDS]\n"
	    "       account-reset-admin [--config FILE] check-password EMAIL"
	    "  (password on stdin)\n"
	    "       account-reset-admin [--config FILE] queue\n"
	    "       account-reset-admin [--config FILE] requeue ID\n"

	    "       account-reset-admin blocklist build LIST OUT\n");
}

/* Reads the password: all of stdin up to PASSWORD_READ_MAX bytes, less
 * one trailing newline.  Returns the length, or -1. */
static ssize_t
read_password(char *buf, size_t size)
{
	size_t	len = 0;
	ssize_t	r;

	while (len < size) {
		r = read(STDIN_FILENO, buf + len, size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == size)
		return -1;	/* too long to be a password */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

static int
valid_email(const char *email)
{
	size_t	n = strlen(email), i;

	if (n == 0 || n > 254 || strchr(email, '@') == NULL ||
	    utf8_validate(email, n, NULL) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)email[i] < 0x21 || email[i] == 0x7f)
			return 0;
	return 1;
}

static int
db_failed(struct db *db, const char *what)
{
	fprintf(stderr, "account-reset-admin: %s: %s\n", what,
	    db_last_error(db));
	return EXIT_ERROR;
}

static int
create_user(struct db *db, const struct config *cfg, const char *email)
{
	char		pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t		len;
	unsigned	v, bit;
	int		rc = EXIT_ERROR;

	if ((len = read_password(pw, PASSWORD_READ_MAX)) == -1) {
		fprintf(stderr, "account-reset-admin: cannot read the password "
		    "from stdin\n");
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
		v = policy_account_violations(pw, (size_t)len, email);
	if (v != 0) {
		for (bit = 1; bit <= RULE_ALL; bit <<= 1)
			if (v & bit)
				fprintf(stderr, "account-reset-admin: %s\n",
				    rule_description(bit));
		rc = EXIT_REFUSED;
		goto out;
	}
	if (hashrec_make(cfg->pbkdf2_engine, pw, (size_t)len,
	    cfg->pbkdf2_iterations, record) == -1) {
		fprintf(stderr, "account-reset-admin: hashing failed\n");
		goto out;
	}
	switch (db_create_user(db, email, record)) {
	case DB_OK:
		rc = EXIT_DONE;
		break;
	case DB_CONFLICT:
		fprintf(stderr, "account-reset-admin: %s already exists\n",
		    email);
		rc = EXIT_REFUSED;
		break;
	default:
		rc = db_failed(db, "create-user");
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(record, sizeof(record));
	return rc;
}

static int
issue_code(struct db *db, const char *email, long ttl)
{
	char	code[CODE_CHARS + 1], digest[SHA256_HEX_CHARS + 1];
	int	rc;

	if (random_base64url(CODE_BYTES, code) == -1) {
		fprintf(stderr, "account-reset-admin: RAND_bytes failed\n");
		return EXIT_ERROR;
	}
	sha256_hex(code, CODE_CHARS, digest);
	switch (db_issue_code(db, email, digest, ttl)) {
	case DB_OK:
		printf("%s\n", code);
		rc = fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
		break;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: no user %s\n", email);
		rc = EXIT_REFUSED;
		break;
	default:
		rc = db_failed(db, "issue-code");
	}
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

static int
check_password(struct db *db, const struct config *cfg, const char *email)
{
	char	pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t	len;
	int	rc = EXIT_ERROR;

	if ((len = read_password(pw, PASSWORD_READ_MAX)) == -1) {
		fprintf(stderr, "account-reset-admin: cannot read the password "
		    "from stdin\n");
		goto out;
	}
	switch (db_password_record(db, email, record, sizeof(record))) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		rc = EXIT_REFUSED;
		goto out;
	default:
		rc = db_failed(db, "check-password");
		goto out;
	}
	switch (hashrec_verify(cfg->pbkdf2_engine, record, pw, (size_t)len)) {
	case 1:
		rc = EXIT_DONE;
		break;
	case 0:
		rc = EXIT_REFUSED;
		break;
	default:
		fprintf(stderr, "account-reset-admin: the stored record of %s "
		    "is not a pbkdf2_sha256 record\n", email);
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

/* blocklist build LIST OUT: reads LIST (text or gzip, or a compact file,
 * which is checked and copied) and writes the compact file OUT. */
static int
blocklist_build(const char *list, const char *out)
{
	struct blocklist	*bl;
	struct blocklist_stats	 st;
	struct timespec		 t0, t1;
	char			 err[512];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (blocklist_load(list, 0, &bl, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s: %s\n", list, err);
		return EXIT_ERROR;
	}
	if (blocklist_write(bl, out, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s\n", err);
		blocklist_free(bl);
		return EXIT_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	blocklist_stats(bl, &st);
	blocklist_free(bl);
	if (st.compact)
		printf("%s: %llu entries (copied from a compact file) in "
		    "%.2f s\n", out, (unsigned long long)st.entries,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	else
		printf("%s: %llu entries from %llu lines (%llu left out, "
		    "since no password that meets the rules can match them; "
		    "%llu duplicates after case folding) in %.2f s\n", out,
		    (unsigned long long)st.entries,
		    (unsigned long long)st.lines,
		    (unsigned long long)st.skipped,
		    (unsigned long long)(st.lines - st.skipped - st.entries),
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* queue: the recover queue's rows by state, with the age of the oldest
 * of each (for "queued", how long the oldest request has waited). */
static int
show_queue(struct db *db)
{
	static const char *const states[] = { "queued", "sent", "suppressed",
	    "unknown", "failed", "expired" };
	unsigned long long	count;
	long long		oldest;
	size_t			i;

	printf("%-12s %10s  %s\n", "state", "rows", "oldest (seconds)");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (db_mail_state_count(db, states[i], &count, &oldest) != DB_OK)
			return db_failed(db, "queue");
		printf("%-12s %10llu  %lld\n", states[i], count,
		    count > 0 ? oldest : 0);
	}
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* requeue ID: a finished row (sent, suppressed, unknown, failed,
 * expired) is queued again, due now, with its attempts reset. */
static int
requeue(struct db *db, const char *id_text)
{
	long long	id;

	if (number_parse(id_text, 1, 9223372036854775807LL, &id) == -1) {
		fprintf(stderr, "account-reset-admin: requeue %s: not a queue "
		    "row id\n", id_text);
		return EXIT_ERROR;
	}
	switch (db_mail_requeue(db, (unsigned long long)id)) {
	case DB_OK:
		printf("queued %lld again\n", id);
		return EXIT_DONE;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: no finished queue row %lld "
		    "with an address (queued rows and rows past retention "
		    "cannot be requeued)\n", id);
		return EXIT_REFUSED;
	default:
		return db_failed(db, "requeue");
	}
}

/* The queue commands: their own arity, no address argument. */
static int
queue_main(const char *config_path, const char *cmd, int nargs,
    char *const args[])
{
	struct config	 cfg;
	struct db	*db;
	char		 err[512];
	int		 rc;

	if ((strcmp(cmd, "queue") == 0 && nargs != 0) ||
	    (strcmp(cmd, "requeue") == 0 && nargs != 1)) {
		usage();
		return EXIT_ERROR;
	}
	if (config_load(config_choose_path(config_path), &cfg, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s\n", err);
		return EXIT_ERROR;
	}
	if ((db = db_new(&cfg)) == NULL)
		return EXIT_ERROR;
	rc = nargs == 0 ? show_queue(db) : requeue(db, args[0]);
	db_free(db);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	 cfg;
	struct db	*db;
	char		 err[512];
	long long	 n;
	const char	*config_path = NULL, *cmd, *email;
	long		 ttl = -1;
	int		 ch, rc;

	log_init("account-reset-admin");
	secure_stdio();
	secure_process();
	/* Options may stand before or after the command and the address. */
	while ((ch = getopt_long(argc, argv, "c:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			if (number_parse(optarg, 1, 31536000, &n) == -1) {
				fprintf(stderr, "account-reset-admin: --ttl %s: "
				    "expected 1 to 31536000 seconds\n", optarg);
				return EXIT_ERROR;
			}
			ttl = (long)n;
			break;
		default:
			usage();
			return EXIT_ERROR;
		}
	}
	/* The one command that needs neither a config nor an address. */
	if (argc - optind >= 1 && strcmp(argv[optind], "blocklist") == 0) {
		if (argc - optind != 4 || strcmp(argv[optind + 1], "build") != 0 ||
		    ttl != -1) {
			usage();
			return EXIT_ERROR;
		}
		return blocklist_build(argv[optind + 2], argv[optind + 3]);
	}
	if (argc - optind >= 1 && ttl == -1 &&
	    (strcmp(argv[optind], "queue") == 0 ||
	    strcmp(argv[optind], "requeue") == 0))
		return queue_main(config_path, argv[optind], argc - optind - 1,
		    argv + optind + 1);
	if (argc - optind != 2) {
		usage();
		return EXIT_ERROR;
	}
	cmd = argv[optind];
	email = argv[optind + 1];
	if (!valid_email(email)) {
		fprintf(stderr, "account-reset-admin: not an e-mail address\n");
		return EXIT_ERROR;
	}
	config_path = config_choose_path(config_path);
	if (config_load(config_path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s\n", err);
		return EXIT_ERROR;
	}
	if (strcmp(cmd, "create-user") == 0 &&
	    policy_load(&cfg, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s: %s\n", config_path,
		    err);
		return EXIT_ERROR;
	}
	/* Hash with the engine the responder would use. */
	cfg.pbkdf2_engine = pbkdf2_engine_checked(cfg.pbkdf2_engine);
	if ((db = db_new(&cfg)) == NULL)
		return EXIT_ERROR;
	if (strcmp(cmd, "create-user") == 0 && ttl == -1)
		rc = create_user(db, &cfg, email);
	else if (strcmp(cmd, "issue-code") == 0)
		rc = issue_code(db, email, ttl == -1 ? cfg.code_lifetime : ttl);
	else if (strcmp(cmd, "check-password") == 0 && ttl == -1)
		rc = check_password(db, &cfg, email);
	else {
		usage();
		rc = EXIT_ERROR;
	}
	db_free(db);
	policy_unload();
	return rc;
}
