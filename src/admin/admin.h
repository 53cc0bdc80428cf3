/*
 * admin.h: what the commands of account-reset-admin share: the handler's
 * argument, the exit statuses, the password reader and the two common
 * answers.  admin.c holds the table of commands and main(); each
 * cmd_*.c file holds one group of commands.
 */
#ifndef AR_ADMIN_H
#define AR_ADMIN_H

#include <stddef.h>
#include <sys/types.h>

#include "base/client.h"
#include "conf/config.h"
#include "db/db.h"

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
};

/* Reads the password: on a terminal, prompted without echo (twice when
 * confirm is set, and the two must match); otherwise all of stdin up to
 * size bytes, less one trailing newline.  Returns the length, or -1
 * after saying why (password_input.c). */
ssize_t admin_read_password(char *buf, size_t size, const char *prompt,
    int confirm);

/* Says what failed, with the database's error; returns EXIT_ERROR. */
int admin_db_failed(struct db *db, const char *what);

/* The answer to DB_NOT_FOUND for a command about a user: EXIT_REFUSED. */
int admin_no_user(const char *email);

/* The counter key of an address as the responder would count it
 * (an IPv4 address, or an IPv6 address's /64); -1 if not an address. */
int admin_address_key(const char *address, char key[CLIENT_KEY_MAX]);

/* The commands (cmd_user.c, cmd_attempts.c, cmd_queue.c,
 * cmd_blocklist.c, cmd_retention.c, migrate.c): each returns an exit
 * status. */
int cmd_create_user(struct admin *a);
int cmd_issue_code(struct admin *a);
int cmd_check_password(struct admin *a);
int cmd_list_codes(struct admin *a);
int cmd_revoke_codes(struct admin *a);
int cmd_revoke_tokens(struct admin *a);
int cmd_show_attempts(struct admin *a);
int cmd_clear_attempts(struct admin *a);
int cmd_queue(struct admin *a);
int cmd_requeue(struct admin *a);
int cmd_blocklist(struct admin *a);
int cmd_purge(struct admin *a);
int cmd_migrate(struct admin *a);

#endif
