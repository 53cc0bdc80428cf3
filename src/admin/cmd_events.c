/*
 * cmd_events.c: the events command and the record of admin actions (see
 * cmd_events.h).
 */
#include "ac-config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/cmd_events.h"
#include "db/db_events.h"

int
events_parse_since(const char *when, time_t now, char *out, size_t outlen)
{
	struct tm	tm;
	const char	*end;
	char		*num_end;
	long long	n, unit;
	time_t		t;

	if (*when >= '0' && *when <= '9' && strchr(when, '-') == NULL) {
		n = strtoll(when, &num_end, 10);
		unit = *num_end == 's' ? 1 : *num_end == 'm' ? 60 :
		    *num_end == 'h' ? 3600 : *num_end == 'd' ? 86400 : 0;
		if (unit == 0 || num_end[1] != '\0' || n < 0 ||
		    n > 3650LL * 86400 / unit)
			return -1;
		t = now - (time_t)(n * unit);
		gmtime_r(&t, &tm);
	} else {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(when, "%Y-%m-%d", &tm)) == NULL)
			return -1;
		if (*end == ' ' || *end == 'T') {
			if ((num_end = strptime(end + 1, "%H:%M", &tm)) == NULL)
				return -1;
			end = num_end;
			if (*end == ':' && (end = strptime(end + 1, "%S",
			    &tm)) == NULL)
				return -1;
			if (*end == 'Z')
				end++;
		}
		if (*end != '\0' || tm.tm_year < 70 || tm.tm_year > 1100)
			return -1;
	}
	if (strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return -1;
	return 0;
}

/* A JSON string of s (UTF-8 from the database; control characters
 * escaped). */
static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

struct listing {
	int	json;
	int	first;
};

static void
print_event(void *arg, const struct event_row *r)
{
	struct listing	*l = arg;
	char		 user[24];

	if (!l->json) {
		if (r->user_id)
			snprintf(user, sizeof(user), "%llu", r->user_id);
		else
			snprintf(user, sizeof(user), "-");
		printf("%s  %-20s user=%s request=%s client=%s actor=%s%s%s\n",
		    r->created, r->type, user,
		    r->request_id[0] ? r->request_id : "-",
		    r->client_key[0] ? r->client_key : "-",
		    r->actor[0] ? r->actor : "-", r->detail[0] ? " " : "",
		    r->detail);
		return;
	}
	printf("%s\n  {\"id\": %llu, \"time\": ", l->first ? "" : ",", r->id);
	json_string(r->created);
	printf(", \"type\": ");
	json_string(r->type);
	printf(", \"user_id\": ");
	if (r->user_id)
		printf("%llu", r->user_id);
	else
		printf("null");
	printf(", \"request_id\": ");
	json_string(r->request_id);
	printf(", \"client_key\": ");
	json_string(r->client_key);
	printf(", \"actor\": ");
	json_string(r->actor);
	printf(", \"detail\": ");
	json_string(r->detail);
	printf("}");
	l->first = 0;
}

int
events_command(struct db *db, const char *email, const char *since, int json)
{
	struct listing		l = { json, 1 };
	unsigned long long	count = 0;

	if (json)
		printf("[");
	switch (db_events_list(db, email, since, print_event, &l, &count)) {
	case DB_OK:
		break;
	case DB_NOT_FOUND:
		if (json)
			printf("]\n");
		fprintf(stderr, "account-reset-admin: no such user\n");
		return EXIT_REFUSED;
	default:
		fprintf(stderr, "account-reset-admin: events: %s\n",
		    db_last_error(db));
		return EXIT_ERROR;
	}
	if (json)
		printf("%s]\n", count > 0 ? "\n" : "");
	return fflush(stdout) == 0 ? EXIT_DONE : EXIT_ERROR;
}

/* The OS user running this: getpwuid of the real uid. */
static void
os_user(char *out, size_t outlen)
{
	struct passwd	*pw = getpwuid(getuid());

	if (pw != NULL)
		snprintf(out, outlen, "%s", pw->pw_name);
	else
		snprintf(out, outlen, "uid:%lu", (unsigned long)getuid());
}

static void
record(struct db *db, const char *type, const char *email,
    const char *client_key, const char *detail)
{
	char		actor[EVENT_ACTOR_MAX + 1];
	struct event	e;

	os_user(actor, sizeof(actor));
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.email = email;
	e.client_key = client_key;
	e.actor = actor;
	e.detail = detail;
	if (db_events_record(db, &e) != DB_OK)
		fprintf(stderr, "account-reset-admin: the event %s was not "
		    "recorded: %s\n", type, db_last_error(db));
}

void
events_admin_action(struct db *db, const char *command, const char *email,
    const char *client_key, const char *detail)
{
	char	type[EVENT_TYPE_MAX + 1];

	snprintf(type, sizeof(type), "admin.%s", command);
	record(db, type, email, client_key, detail);
}

void
events_tokens_revoked(struct db *db, const char *email, unsigned long long n)
{
	char	detail[64];

	snprintf(detail, sizeof(detail), "count=%llu reason=admin", n);
	record(db, EVENT_TOKENS_REVOKED, email, NULL, detail);
}

/* events [EMAIL] [--since WHEN] [--json] (admin.h). */
int
cmd_events(struct admin *a)
{
	return events_command(a->db, a->arg, a->since, a->json);
}
