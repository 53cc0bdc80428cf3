/*
 * test_metrics.c: the counters and their exposition (metrics.c), without
 * a supervisor: slots are bound in turn in this one process, as each
 * worker binds its own.
 */
#include "ac-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "base/metrics.h"
#include "base/strbuf.h"

static char *
expose(int configured, int alive)
{
	struct textbuf		t = TEXTBUF_EMPTY;

	metrics_workers(configured, alive);
	metrics_expose(&t);
	return t.failed ? NULL : t.p;
}

int
main(void)
{
	struct textbuf		 big = TEXTBUF_EMPTY;
	char			*text;
	int			 i;

	metrics_request(ME_RESET, 200, 0.1);	/* before init: ignored */
	ok(metrics_init(2) == 0, "the shared region maps");
	metrics_request(ME_RESET, 200, 0.1);	/* no slot bound: ignored */

	metrics_bind_slot(0);
	metrics_request(ME_RESET, 200, 0.004);
	metrics_request(ME_RESET, 200, 0.005);	/* on a bound: in that bucket */
	metrics_request(ME_RESET, 400, 0.3);
	metrics_pbkdf2(0.25);
	metrics_db_error(1);
	metrics_attempt_limited();
	metrics_bind_slot(1);
	metrics_request(ME_RESET, 200, 20.0);	/* past the last bound: +Inf */
	metrics_request(ME_HEALTH, 503, 0.001);
	metrics_request(ME_NOT_FOUND, 418, 0.001);	/* an unlisted status */
	metrics_pbkdf2(0.5);
	metrics_db_error(0);
	metrics_db_reconnect();
	metrics_db_rerun();
	metrics_worker_restarted();
	metrics_bind_slot(7);			/* out of range: ignored */
	metrics_request(ME_RESET, 200, 0.1);

	text = expose(2, 1);
	ok(text != NULL, "the exposition is written");
	if (text == NULL)
		return done_testing();
	ok(strstr(text, "account_reset_requests_total{endpoint=\"reset\","
	    "status=\"200\"} 3\n") != NULL, "the slots are added up (reset 200: 3)");
	ok(strstr(text, "{endpoint=\"reset\",status=\"400\"} 1\n") != NULL,
	    "reset 400: 1");
	ok(strstr(text, "{endpoint=\"health\",status=\"503\"} 1\n") != NULL,
	    "health 503: 1");
	ok(strstr(text, "{endpoint=\"not_found\",status=\"other\"} 1\n") != NULL,
	    "a status not in the list is counted as other");
	ok(strstr(text, "seconds_bucket{endpoint=\"reset\",le=\"0.005\"} 2\n")
	    != NULL, "a duration equal to a bound is in that bucket");
	ok(strstr(text, "seconds_bucket{endpoint=\"reset\",le=\"0.5\"} 3\n")
	    != NULL, "buckets are cumulative");
	ok(strstr(text, "seconds_bucket{endpoint=\"reset\",le=\"10\"} 3\n")
	    != NULL && strstr(text, "seconds_bucket{endpoint=\"reset\","
	    "le=\"+Inf\"} 4\n") != NULL, "past the last bound counts in +Inf only");
	ok(strstr(text, "seconds_count{endpoint=\"reset\"} 4\n") != NULL,
	    "the count is the +Inf bucket");
	ok(strstr(text, "account_reset_pbkdf2_duration_seconds_sum 0.750000\n")
	    != NULL && strstr(text, "account_reset_pbkdf2_duration_seconds_count"
	    " 2\n") != NULL, "PBKDF2 time and count");
	ok(strstr(text, "account_reset_db_errors_total{kind=\"unavailable\"} 1\n")
	    != NULL && strstr(text, "account_reset_db_errors_total{kind="
	    "\"error\"} 1\n") != NULL, "database errors by kind");
	ok(strstr(text, "account_reset_db_reconnects_total 1\n") != NULL &&
	    strstr(text, "account_reset_db_reruns_total 1\n") != NULL &&
	    strstr(text, "account_reset_attempt_limit_refusals_total 1\n") != NULL,
	    "reconnects, reruns, attempt-limit refusals");
	ok(strstr(text, "account_reset_worker_restarts_total 1\n") != NULL &&
	    strstr(text, "account_reset_workers{state=\"configured\"} 2\n") != NULL
	    && strstr(text, "account_reset_workers{state=\"alive\"} 1\n") != NULL,
	    "restarts and the workers gauge");
	ok(strstr(text, "# TYPE account_reset_request_duration_seconds "
	    "histogram\n") != NULL, "TYPE lines");
	free(text);

	for (i = 0; i < 5000; i++)
		textbuf_printf(&big, "line %d of a long exposition\n", i);
	ok(!big.failed && big.len > 100000 &&
	    strstr(big.p, "line 4999 of a long exposition\n") != NULL,
	    "the text buffer grows past its first size");
	textbuf_wipe(&big);
	return done_testing();
}
