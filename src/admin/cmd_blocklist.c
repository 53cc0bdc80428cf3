/*
 * cmd_blocklist.c: "blocklist build LIST OUT", which turns a text list of
 * passwords into the compact file that password_blocklist may name
 * (blocklist.h).  Needs no configuration.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "password/blocklist.h"

/* blocklist build LIST OUT: reads LIST (text or gzip, or a compact file,
 * which is checked and copied) and writes the compact file OUT. */
int
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
