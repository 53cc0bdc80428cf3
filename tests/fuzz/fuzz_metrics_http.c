/*
 * fuzz_metrics_http.c: the head of a scrape of --metrics (metrics_http.h),
 * which any local process can send.  The bytes, cut at
 * METRICS_HTTP_REQUEST_MAX - 1 as read_head cuts them and NUL-terminated.
 *
 * What must hold:
 *   - metrics_http_head_complete says yes exactly when an empty line
 *     ("\r\n\r\n" or "\n\n") stands before the first NUL;
 *   - metrics_http_parse gives one of its four answers, reads nothing
 *     past the NUL, and says GET or HEAD of /metrics only for a head that
 *     starts "GET /metrics" or "HEAD /metrics" followed by a space, "?",
 *     CR, LF or its end;
 *   - any other method is 405, whatever follows.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/metrics_http.h"

static int
metrics_path_at(const char *p)
{
	return strncmp(p, "/metrics", 8) == 0 &&
	    (p[8] == '\0' || strchr(" ?\r\n", p[8]) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*head;
	size_t			 n = size < METRICS_HTTP_REQUEST_MAX - 1 ? size :
				    METRICS_HTTP_REQUEST_MAX - 1;
	enum metrics_http_ask	 ask;
	int			 complete, get, headm;

	/* Exactly n + 1 bytes, so that ASan sees a read past the end. */
	if ((head = malloc(n + 1)) == NULL)
		return 0;
	memcpy(head, data, n);
	head[n] = '\0';

	complete = metrics_http_head_complete(head);
	FUZZ_CHECK(complete == (strstr(head, "\r\n\r\n") != NULL ||
	    strstr(head, "\n\n") != NULL), "complete means an empty line");

	ask = metrics_http_parse(head);
	FUZZ_CHECK(ask == METRICS_ASK_GET || ask == METRICS_ASK_HEAD ||
	    ask == METRICS_ASK_NOT_FOUND || ask == METRICS_ASK_BAD_METHOD,
	    "one of four answers");
	get = strncmp(head, "GET ", 4) == 0;
	headm = strncmp(head, "HEAD ", 5) == 0;
	if (!get && !headm)
		FUZZ_CHECK(ask == METRICS_ASK_BAD_METHOD, "other methods: 405");
	else if (metrics_path_at(head + (get ? 4 : 5)))
		FUZZ_CHECK(ask == (get ? METRICS_ASK_GET : METRICS_ASK_HEAD),
		    "GET or HEAD of /metrics is served");
	else
		FUZZ_CHECK(ask == METRICS_ASK_NOT_FOUND,
		    "another path is 404");
	free(head);
	return 0;
}
