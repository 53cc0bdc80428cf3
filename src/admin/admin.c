/*
 * admin.c: account-reset-admin, the operator's tool: users, codes, tokens,
 * attempt counters, and "blocklist build LIST OUT", which turns a text
 * list of passwords into the compact file that password_blocklist may name
 * (blocklist.h).  It finds the configuration the same way the
 * responder does.  Passwords are read from stdin, never from argv (which
 * other users can see); on a terminal they are prompted for without echo.
 *
 * Every command is one row of the commands[] table below (name, argument,
 * handler, help): a new command is a new row and a handler.
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
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin/events.h"
#include "password/blocklist.h"
#include "base/client.h"
#include "conf/config.h"
#include "db/db.h"
#include "db/db_admin.h"
#include "db/db_mail.h"
#include "password/hashrec.h"
#include "base/log.h"
#include "base/number.h"
#include "password/policy.h"
#include "password/rules.h"
#include "base/secure.h"
#include "password/token.h"
#include "base/utf8.h"

#define PASSWORD_READ_MAX	4096

enum { EXIT_DONE = 0, EXIT_REFUSED = 1, EXIT_ERROR = 2 };

/* What every command handler gets: the loaded config and the database
 * (when its row asks for them), the command's arguments and the options
 * given. */
struct admin {
	const struct config	*cfg;
	struct db		*db;
	const char		*arg;	/* the first argument: EMAIL, ADDRESS... */
	char			**args;	/* all of them */
	long			 ttl;	/* --ttl, or -1 */
	const char		*since;	/* --since as UTC text, or NULL */
	int			 json;	/* --json */
	char			 detail[64]; /* for the command's event */
};

/* What a command's first argument must be. */
enum arg_kind { ARG_EMAIL, ARG_ADDRESS, ARG_ANY };

/* What a command needs before it runs. */
#define NEEDS_DB	0x1	/* the config and a database handle */
#define NEEDS_POLICY	0x2	/* the password policy (blocklist) loaded */
#define RECORDED	0x4	/* leaves an admin.COMMAND event (events.h) */

/* The options a command takes besides --config. */
#define TAKES_TTL	0x1	/* --ttl */
#define TAKES_EVENTS	0x2	/* --since, --json, and EMAIL optional */

struct command {
	const char	*name;
	enum arg_kind	 arg;
	int		 nargs;		/* arguments after the name */
	int		 needs;		/* NEEDS_* */
	int		 takes;	/* TAKES_* */
	int		(*run)(struct admin *);
	const char	*usage;		/* after the name */
	const char	*help;		/* one line */
};

/* Drops the one trailing newline (and CR) of a password read as a line. */
static size_t
chomp(char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return len;
}

/* Reads one line from the terminal on fd with echo off, after printing
 * prompt to stderr.  Returns the length, or -1. */
static ssize_t
read_tty_line(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios	old, quiet;
	size_t		len = 0;
	ssize_t		r;
	int		restored;

	if (tcgetattr(fd, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off first, then the prompt: what is typed after the prompt
	 * is never shown, and never discarded by the flush. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1)
		return -1;
	fputs(prompt, stderr);
	fflush(stderr);
	while (len < size) {
		r = read(fd, buf + len, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || buf[len] == '\n')
			break;
		len++;
	}
	restored = tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", stderr);
	if (len == size || restored == -1)
		return -1;
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Reads the password: on a terminal, prompted without echo (twice when
 * confirm is set, and the two must match); otherwise all of stdin up to
 * PASSWORD_READ_MAX bytes, less one trailing newline.  Returns the
 * length, or -1 after saying why. */
static ssize_t
read_password(char *buf, size_t size, const char *prompt, int confirm)
{
	char	again[PASSWORD_READ_MAX + 1];
	size_t	len = 0;
	ssize_t	r;

	if (isatty(STDIN_FILENO)) {
		if ((r = read_tty_line(STDIN_FILENO, prompt, buf, size)) == -1)
			goto unreadable;
		if (confirm && r > 0) {
			if (read_tty_line(STDIN_FILENO, "Again: ", again,
			    sizeof(again) - 1) == -1) {
				OPENSSL_cleanse(again, sizeof(again));
				goto unreadable;
			}
			if (strcmp(again, buf) != 0) {
				OPENSSL_cleanse(again, sizeof(again));
				fprintf(stderr, "account-reset-admin: the two "
				    "passwords differ\n");
				return -1;
			}
			OPENSSL_cleanse(again, sizeof(again));
		}
		return r;
	}
	while (len < size) {
		r = read(STDIN_FILENO, buf + len, size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto unreadable;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == size) {
		fprintf(stderr, "account-reset-admin: the password on stdin is "
		    "longer than %zu bytes\n", size - 1);
		return -1;
	}
	return (ssize_t)chomp(buf, len);
unreadable:
	fprintf(stderr, "account-reset-admin: cannot read the password from "
	    "stdin\n");
	return -1;
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

/* The answer to DB_NOT_FOUND for a command about a user. */
static int
no_user(const char *email)
{
	fprintf(stderr, "account-reset-admin: no user %s\n", email);
	return EXIT_REFUSED;
}

static int
cmd_create_user(struct admin *a)
{
	char		pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t		len;
	unsigned	v, bit;
	int		rc = EXIT_ERROR;

	if ((len = read_password(pw, PASSWORD_READ_MAX, "Password: ", 1)) == -1)
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
		rc = db_failed(a->db, "create-user");
	}
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(record, sizeof(record));
	return rc;
}

static int
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
		rc = no_user(a->arg);
		break;
	default:
		rc = db_failed(a->db, "issue-code");
	}
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

static int
cmd_check_password(struct admin *a)
{
	char	pw[PASSWORD_READ_MAX + 1], record[HASHREC_MAX];
	ssize_t	len;
	int	rc = EXIT_ERROR;

	if ((len = read_password(pw, PASSWORD_READ_MAX, "Password: ", 0)) == -1)
		goto out;
	switch (db_password_record(a->db, a->arg, record, sizeof(record))) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		rc = EXIT_REFUSED;
		goto out;
	default:
		rc = db_failed(a->db, "check-password");
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

static int
cmd_list_codes(struct admin *a)
{
	unsigned long long	n = 0;

	switch (db_list_codes(a->db, a->arg, print_code, NULL, &n)) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		return no_user(a->arg);
	default:
		return db_failed(a->db, "list-codes");
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
		snprintf(a->detail, sizeof(a->detail), "count=%llu", n);
		if (change == db_revoke_user_tokens && n > 0)
			events_tokens_revoked(a->db, a->arg, n);
		printf("%llu %s%s revoked\n", n, noun, n == 1 ? "" : "s");
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
	case DB_NOT_FOUND:
		return no_user(a->arg);
	default:
		return db_failed(a->db, what);
	}
}

static int
cmd_revoke_codes(struct admin *a)
{
	return revoke_for_user(a, db_revoke_codes, "code", "revoke-codes");
}

static int
cmd_revoke_tokens(struct admin *a)
{
	return revoke_for_user(a, db_revoke_user_tokens, "token", "revoke-tokens");
}

/* The counter key of an address as the responder would count it
 * (an IPv4 address, or an IPv6 address's /64); -1 if not an address. */
static int
address_key(const char *address, char key[CLIENT_KEY_MAX])
{
	struct proxies	none;

	memset(&none, 0, sizeof(none));
	return client_key(address, NULL, &none, key);
}

static int
cmd_show_attempts(struct admin *a)
{
	char	key[CLIENT_KEY_MAX];
	long	failures = 0, left = 0;

	if (address_key(a->arg, key) == -1)
		return EXIT_ERROR;
	if (db_attempts_show(a->db, key, a->cfg->attempt_window, &failures,
	    &left) != DB_OK)
		return db_failed(a->db, "show-attempts");
	printf("client %s failures %ld limit %d window %ld s ends in %ld s%s\n",
	    key, failures, a->cfg->attempt_limit, a->cfg->attempt_window, left,
	    a->cfg->attempt_limit > 0 && failures >= a->cfg->attempt_limit ?
	    " (limited)" : "");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

static int
cmd_clear_attempts(struct admin *a)
{
	char			key[CLIENT_KEY_MAX];
	unsigned long long	n = 0;

	if (address_key(a->arg, key) == -1)
		return EXIT_ERROR;
	if (db_attempts_clear(a->db, key, &n) != DB_OK)
		return db_failed(a->db, "clear-attempts");
	printf("client %s: %llu counter%s cleared\n", key, n,
	    n == 1 ? "" : "s");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* blocklist build LIST OUT: reads LIST (text or gzip, or a compact file,
 * which is checked and copied) and writes the compact file OUT. */
static int
cmd_blocklist(struct admin *a)
{
	struct blocklist	*bl;
	struct blocklist_stats	 st;
	struct timespec		 t0, t1;
	const char		*list = a->args[1], *out = a->args[2];
	char			 err[512];

	if (strcmp(a->args[0], "build") != 0) {
		fprintf(stderr, "account-reset-admin: blocklist %.32s: the one "
		    "subcommand is build (blocklist build LIST OUT)\n",
		    a->args[0]);
		return EXIT_ERROR;
	}
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
cmd_queue(struct admin *a)
{
	static const char *const states[] = { "queued", "sent", "suppressed",
	    "unknown", "failed", "expired" };
	unsigned long long	count;
	long long		oldest;
	size_t			i;

	printf("%-12s %10s  %s\n", "state", "rows", "oldest (seconds)");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (db_mail_state_count(a->db, states[i], &count, &oldest) !=
		    DB_OK)
			return db_failed(a->db, "queue");
		printf("%-12s %10llu  %lld\n", states[i], count,
		    count > 0 ? oldest : 0);
	}
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* requeue ID: a finished row (sent, suppressed, unknown, failed,
 * expired) is queued again, due now, with its attempts reset. */
static int
cmd_requeue(struct admin *a)
{
	long long	id;

	if (number_parse(a->args[0], 1, 9223372036854775807LL, &id) == -1) {
		fprintf(stderr, "account-reset-admin: requeue %.32s: not a "
		    "queue row id\n", a->args[0]);
		return EXIT_ERROR;
	}
	snprintf(a->detail, sizeof(a->detail), "queue_id=%lld", id);
	switch (db_mail_requeue(a->db, (unsigned long long)id)) {
	case DB_OK:
		printf("queued %lld again\n", id);
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
	case DB_NOT_FOUND:
		fprintf(stderr, "account-reset-admin: no finished queue row %lld "
		    "with an address (queued rows and rows past retention "
		    "cannot be requeued)\n", id);
		return EXIT_REFUSED;
	default:
		return db_failed(a->db, "requeue");
	}
}

/* events [EMAIL] [--since WHEN] [--json] (admin/events.c). */
static int
cmd_events(struct admin *a)
{
	return events_command(a->db, a->arg, a->since, a->json);
}

/* The commands, one row each. */
static const struct command commands[] = {
	{ "create-user", ARG_EMAIL, 1, NEEDS_DB | NEEDS_POLICY | RECORDED, 0,
	    cmd_create_user, "EMAIL",
	    "create the user; password on stdin (prompted on a terminal)" },
	{ "issue-code", ARG_EMAIL, 1, NEEDS_DB | RECORDED, TAKES_TTL,
	    cmd_issue_code,
	    "EMAIL [--ttl SECONDS]", "print a new validation code for the user" },
	{ "check-password", ARG_EMAIL, 1, NEEDS_DB | RECORDED, 0,
	    cmd_check_password,
	    "EMAIL", "exit 0 when the password on stdin matches" },
	{ "list-codes", ARG_EMAIL, 1, NEEDS_DB, 0, cmd_list_codes, "EMAIL",
	    "list the user's open validation codes (ids and times)" },
	{ "revoke-codes", ARG_EMAIL, 1, NEEDS_DB | RECORDED, 0,
	    cmd_revoke_codes, "EMAIL",
	    "end every open validation code of the user" },
	{ "revoke-tokens", ARG_EMAIL, 1, NEEDS_DB | RECORDED, 0,
	    cmd_revoke_tokens,
	    "EMAIL", "revoke every access and refresh token of the user" },
	{ "show-attempts", ARG_ADDRESS, 1, NEEDS_DB, 0, cmd_show_attempts,
	    "ADDRESS", "show the failed-code counter of a client address" },
	{ "clear-attempts", ARG_ADDRESS, 1, NEEDS_DB | RECORDED, 0,
	    cmd_clear_attempts,
	    "ADDRESS", "clear the failed-code counters of a client address" },
	{ "queue", ARG_ANY, 0, NEEDS_DB, 0, cmd_queue, "",
	    "the recover queue's rows by state, with the oldest's age" },
	{ "requeue", ARG_ANY, 1, NEEDS_DB | RECORDED, 0, cmd_requeue, "ID",
	    "queue a finished recover request again, due now" },
	{ "events", ARG_EMAIL, 1, NEEDS_DB, TAKES_EVENTS, cmd_events,
	    "[EMAIL] [--since WHEN] [--json]",
	    "the record: every event (or the user's), oldest first" },
	{ "blocklist", ARG_ANY, 3, 0, 0, cmd_blocklist, "build LIST OUT",
	    "write the compact password blocklist OUT from LIST (no config)" },
};

/* The event of an admin action, with who ran it and how it ended. */
static void
record_action(struct admin *a, const struct command *cmd, int rc,
    const char *key)
{
	char	detail[sizeof(a->detail) + 16];

	snprintf(detail, sizeof(detail), "exit=%d%s%s", rc,
	    a->detail[0] ? " " : "", a->detail);
	events_admin_action(a->db, cmd->name, cmd->arg == ARG_EMAIL ? a->arg :
	    NULL, cmd->arg == ARG_ADDRESS ? key : NULL, detail);
}

static const struct command *
find_command(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: account-reset-admin [--config FILE] COMMAND ARGUMENT\n"
	    "       account-reset-admin --help | --version\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name,
		    commands[i].usage, commands[i].help);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ttl", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command	*cmd;
	struct admin		 a;
	struct config		 cfg;
	char			 err[512], key[CLIENT_KEY_MAX], since[32];
	const char		*config_path = NULL;
	long long		 n;
	int			 ch, rc;

	log_init("account-reset-admin");
	secure_stdio();
	secure_process();
	memset(&a, 0, sizeof(a));
	a.ttl = -1;
	/* Options may stand before or after the command and the argument. */
	while ((ch = getopt_long(argc, argv, "c:t:s:jhV", longopts,
	    NULL)) != -1) {
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
			a.ttl = (long)n;
			break;
		case 's':
			if (events_parse_since(optarg, time(NULL), since,
			    sizeof(since)) == -1) {
				fprintf(stderr, "account-reset-admin: --since "
				    "%.40s: expected a UTC date YYYY-MM-DD, "
				    "\"YYYY-MM-DD HH:MM[:SS]\" or an age such "
				    "as 30m, 12h, 7d\n", optarg);
				return EXIT_ERROR;
			}
			a.since = since;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		case 'V':
			printf("account-reset-admin (%s)\n", PACKAGE_STRING);
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if ((cmd = find_command(argv[optind])) == NULL) {
		fprintf(stderr, "account-reset-admin: unknown command '%.64s'\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_ERROR;
	}
	if (argc - optind != 1 + cmd->nargs &&
	    !((cmd->takes & TAKES_EVENTS) && argc - optind == 1)) {
		fprintf(stderr, "account-reset-admin: usage: %s %s\n",
		    cmd->name, cmd->usage);
		return EXIT_ERROR;
	}
	if (a.ttl != -1 && !(cmd->takes & TAKES_TTL)) {
		fprintf(stderr, "account-reset-admin: %s takes no --ttl\n",
		    cmd->name);
		return EXIT_ERROR;
	}
	if ((a.since != NULL || a.json) && !(cmd->takes & TAKES_EVENTS)) {
		fprintf(stderr, "account-reset-admin: %s takes no --since or "
		    "--json\n", cmd->name);
		return EXIT_ERROR;
	}
	a.args = &argv[optind + 1];
	a.arg = a.args[0];
	if (a.arg != NULL && cmd->arg == ARG_EMAIL && !valid_email(a.arg)) {
		fprintf(stderr, "account-reset-admin: not an e-mail address\n");
		return EXIT_ERROR;
	}
	if (cmd->arg == ARG_ADDRESS && address_key(a.arg, key) == -1) {
		fprintf(stderr, "account-reset-admin: %.64s: not an IPv4 or "
		    "IPv6 address\n", a.arg);
		return EXIT_ERROR;
	}
	if ((cmd->needs & NEEDS_DB) == 0)
		return cmd->run(&a);
	config_path = config_choose_path(config_path);
	if (config_load(config_path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s\n", err);
		return EXIT_ERROR;
	}
	if ((cmd->needs & NEEDS_POLICY) &&
	    policy_load(cfg.password_blocklist, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "account-reset-admin: %s: %s\n", config_path,
		    err);
		return EXIT_ERROR;
	}
	/* Hash with the engine the responder would use. */
	cfg.pbkdf2_engine = pbkdf2_engine_checked(cfg.pbkdf2_engine);
	if ((a.db = db_new(&cfg)) == NULL) {
		policy_unload();
		return EXIT_ERROR;
	}
	a.cfg = &cfg;
	rc = cmd->run(&a);
	if (cmd->needs & RECORDED)
		record_action(&a, cmd, rc, key);
	db_free(a.db);
	policy_unload();
	return rc;
}
