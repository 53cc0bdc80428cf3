/*
 * policy.c: the checks of policy.h, and the one blocklist of the process.
 * The list is module state because it outlives every request and is
 * shared by everything the process forks; it is written only at start and
 * on SIGHUP in the supervisor, never while a request is served.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "password/blocklist.h"
#include "password/context.h"
#include "password/policy.h"
#include "password/rules.h"

static struct blocklist	*current;
static char		 current_path[POLICY_PATH_MAX];
static double		 current_load_ms;

int
policy_load(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct blocklist	*next = NULL;
	struct timespec		 t0, t1;
	char			 why[256];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (path[0] != '\0' &&
	    blocklist_load(path, flags, &next, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "key 'password_blocklist': %s: %s",
		    path, why);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	blocklist_free(current);
	current = next;
	current_load_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	snprintf(current_path, sizeof(current_path), "%s",
	    path);
	return 0;
}

void
policy_describe(char *buf, size_t len)
{
	struct blocklist_stats	st;

	if (current == NULL) {
		snprintf(buf, len, "no password blocklist");
		return;
	}
	blocklist_stats(current, &st);
	if (st.compact)
		snprintf(buf, len, "password blocklist %s: %llu entries, "
		    "compact file, loaded in %.1f ms", current_path,
		    (unsigned long long)st.entries, current_load_ms);
	else
		snprintf(buf, len, "password blocklist %s: %llu entries from "
		    "%llu lines (%llu that no acceptable password can match "
		    "left out), loaded in %.1f ms", current_path,
		    (unsigned long long)st.entries,
		    (unsigned long long)st.lines,
		    (unsigned long long)st.skipped, current_load_ms);
}

void
policy_unload(void)
{
	blocklist_free(current);
	current = NULL;
	current_path[0] = '\0';
}

unsigned
policy_violations(const char *pw, size_t len)
{
	unsigned	v = password_violations(pw, len);

	/* All at once (issue 17): a user who fixes the classes must not meet
	 * a second refusal for a password the blocklist already knew.  A
	 * password too short for the rules is not called repetitive: "half
	 * of it" means nothing for 4 characters ("Ab1!" has the run "ab"). */
	if ((v & RULE_TOO_SHORT) == 0 && context_repetitive(pw, len))
		v |= RULE_REPETITIVE;
	if (blocklist_contains(current, pw, len))
		v |= RULE_COMMON_PASSWORD;
	return v;
}

unsigned
policy_account_violations(const char *pw, size_t len, const char *email)
{
	return context_contains_email(pw, len, email) ? RULE_CONTAINS_EMAIL : 0;
}
