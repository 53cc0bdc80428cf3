/*
 * cmd_attempts.c: the admin commands about a client's failed-code
 * counters: show-attempts, clear-attempts.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "base/client.h"
#include "db/db_admin.h"

/* See admin.h. */
int
admin_address_key(const char *address, char key[CLIENT_KEY_MAX])
{
	struct proxies	none;

	memset(&none, 0, sizeof(none));
	return client_key(address, NULL, &none, key);
}

int
cmd_show_attempts(struct admin *a)
{
	char	key[CLIENT_KEY_MAX];
	long	failures = 0, left = 0;

	if (admin_address_key(a->arg, key) == -1)
		return EXIT_ERROR;
	if (db_attempts_show(a->db, key, a->cfg->attempt_window, &failures,
	    &left) != DB_OK)
		return admin_db_failed(a->db, "show-attempts");
	printf("client %s failures %ld limit %d window %ld s ends in %ld s%s\n",
	    key, failures, a->cfg->attempt_limit, a->cfg->attempt_window, left,
	    a->cfg->attempt_limit > 0 && failures >= a->cfg->attempt_limit ?
	    " (limited)" : "");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

int
cmd_clear_attempts(struct admin *a)
{
	char			key[CLIENT_KEY_MAX];
	unsigned long long	n = 0;

	if (admin_address_key(a->arg, key) == -1)
		return EXIT_ERROR;
	if (db_attempts_clear(a->db, key, &n) != DB_OK)
		return admin_db_failed(a->db, "clear-attempts");
	printf("client %s: %llu counter%s cleared\n", key, n,
	    n == 1 ? "" : "s");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}
