/*
 * admin.c: account-reset-admin, the operator's tool: users, codes, tokens,
 * attempt counters, the recover queue, and "blocklist build LIST OUT".
 * It finds the configuration the same way the responder does.  Passwords are read from stdin, never from argv (which
 * other users can see); on a terminal they are prompted for without echo.
 *
 * Every command is one row of the commands[] table below (name, argument,
 * handler, help): a new command is a new row and a handler in one of the
 * cmd_*.c files (admin.h).
 *
 * Exit status: 0 done (or the password matches), 1 refused (no such user,
 * user exists, weak password, no match), 2 usage or error.
 */
#include "ac-config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "base/email.h"
#include "base/log.h"
#include "base/number.h"
#include "base/secure.h"
#include "conf/config.h"
#include "db/db.h"
#include "db/db_schema.h"
#include "password/pbkdf2.h"
#include "password/policy.h"

/* What a command's first argument must be. */
enum arg_kind { ARG_EMAIL, ARG_ADDRESS, ARG_ANY };

/* What a command needs before it runs. */
#define NEEDS_DB	0x1	/* the config and a database handle */
#define NEEDS_POLICY	0x2	/* the password policy (blocklist) loaded */
#define ANY_SCHEMA	0x4	/* runs on a schema of any version */

struct command {
	const char	*name;
	enum arg_kind	 arg;
	int		 nargs;		/* arguments after the name */
	int		 needs;		/* NEEDS_* */
	int		 takes_ttl;	/* accepts --ttl */
	int		(*run)(struct admin *);
	const char	*usage;		/* after the name */
	const char	*help;		/* one line */
};

int
admin_db_failed(struct db *db, const char *what)
{
	fprintf(stderr, "account-reset-admin: %s: %s\n", what,
	    db_last_error(db));
	return EXIT_ERROR;
}

int
admin_no_user(const char *email)
{
	fprintf(stderr, "account-reset-admin: no user %s\n", email);
	return EXIT_REFUSED;
}

/* The commands, one row each. */
static const struct command commands[] = {
	{ "create-user", ARG_EMAIL, 1, NEEDS_DB | NEEDS_POLICY, 0,
	    cmd_create_user, "EMAIL",
	    "create the user; password on stdin (prompted on a terminal)" },
	{ "issue-code", ARG_EMAIL, 1, NEEDS_DB, 1, cmd_issue_code,
	    "EMAIL [--ttl SECONDS]", "print a new validation code for the user" },
	{ "check-password", ARG_EMAIL, 1, NEEDS_DB, 0, cmd_check_password,
	    "EMAIL", "exit 0 when the password on stdin matches" },
	{ "list-codes", ARG_EMAIL, 1, NEEDS_DB, 0, cmd_list_codes, "EMAIL",
	    "list the user's open validation codes (ids and times)" },
	{ "revoke-codes", ARG_EMAIL, 1, NEEDS_DB, 0, cmd_revoke_codes, "EMAIL",
	    "end every open validation code of the user" },
	{ "revoke-tokens", ARG_EMAIL, 1, NEEDS_DB, 0, cmd_revoke_tokens,
	    "EMAIL", "revoke every access and refresh token of the user" },
	{ "show-attempts", ARG_ADDRESS, 1, NEEDS_DB, 0, cmd_show_attempts,
	    "ADDRESS", "show the failed-code counter of a client address" },
	{ "clear-attempts", ARG_ADDRESS, 1, NEEDS_DB, 0, cmd_clear_attempts,
	    "ADDRESS", "clear the failed-code counters of a client address" },
	{ "queue", ARG_ANY, 0, NEEDS_DB, 0, cmd_queue, "",
	    "the recover queue's rows by state, with the oldest's age" },
	{ "requeue", ARG_ANY, 1, NEEDS_DB, 0, cmd_requeue, "ID",
	    "queue a finished recover request again, due now" },
	{ "purge", ARG_ANY, 0, NEEDS_DB, 0, cmd_purge, "",
	    "delete codes, tokens and queue rows past their retention" },
	{ "migrate", ARG_ANY, 0, NEEDS_DB | ANY_SCHEMA, 0, cmd_migrate, "",
	    "bring the database's schema up to date (safe to run again)" },
	{ "blocklist", ARG_ANY, 3, 0, 0, cmd_blocklist, "build LIST OUT",
	    "write the compact password blocklist OUT from LIST (no config)" },
};

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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command	*cmd;
	struct admin		 a;
	struct config		 cfg;
	char			 err[512], key[CLIENT_KEY_MAX];
	const char		*config_path = NULL;
	long long		 n;
	int			 ch, rc;

	log_init("account-reset-admin");
	secure_stdio();
	secure_process();
	memset(&a, 0, sizeof(a));
	a.ttl = -1;
	/* Options may stand before or after the command and the argument. */
	while ((ch = getopt_long(argc, argv, "c:t:hV", longopts, NULL)) != -1) {
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
	if (argc - optind != 1 + cmd->nargs) {
		fprintf(stderr, "account-reset-admin: usage: %s %s\n",
		    cmd->name, cmd->usage);
		return EXIT_ERROR;
	}
	if (a.ttl != -1 && !cmd->takes_ttl) {
		fprintf(stderr, "account-reset-admin: %s takes no --ttl\n",
		    cmd->name);
		return EXIT_ERROR;
	}
	a.args = &argv[optind + 1];
	a.arg = a.args[0];
	/* The one check of an address (email.h): what the recover endpoint
	 * accepts is what an account may be created for, so every user it
	 * creates can recover. */
	if (cmd->arg == ARG_EMAIL && !email_valid(a.arg, strlen(a.arg))) {
		fprintf(stderr, "account-reset-admin: not an e-mail address the "
		    "recover endpoint accepts (local@domain.tld)\n");
		return EXIT_ERROR;
	}
	if (cmd->arg == ARG_ADDRESS && admin_address_key(a.arg, key) == -1) {
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
	/* Every command but migrate refuses a schema of another version,
	 * as the other programs do (docs/UPGRADING.md). */
	if (cmd->needs & ANY_SCHEMA)
		db_schema_check_off(a.db);
	else if (db_open(a.db) != DB_OK && db_schema_refused(a.db)) {
		fprintf(stderr, "account-reset-admin: %s\n",
		    db_last_error(a.db));
		db_free(a.db);
		policy_unload();
		return EXIT_ERROR;
	}
	rc = cmd->run(&a);
	db_free(a.db);
	policy_unload();
	return rc;
}
