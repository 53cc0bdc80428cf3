/*
 * fuzz_route_path.c: which path a request names (route.h), from CGI
 * variables the web server fills from what the client sent.
 *
 * Input: the first byte's low four bits say which of DOCUMENT_URI,
 * REQUEST_URI, SCRIPT_NAME and PATH_INFO are set; the rest is their
 * values, in that order, separated by NUL bytes.  The output buffer is
 * as long as the second byte says (0 to 255), allocated to that size.
 *
 * What must hold:
 *   - 0 only with a NUL-terminated path that fits the buffer and starts
 *     with '/'; -1 leaves no promise but touches nothing past the buffer;
 *   - DOCUMENT_URI wins when it starts with '/', and is copied whole;
 *   - else REQUEST_URI is cut at its first '?' or '#';
 *   - else SCRIPT_NAME followed by PATH_INFO;
 *   - with none of them starting with '/', -1.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/route.h"
#include "fuzz.h"

static const char *const names[] = { "DOCUMENT_URI", "REQUEST_URI",
    "SCRIPT_NAME", "PATH_INFO" };

struct vars {
	const char	*value[4];
};

static const char *
param(void *ctx, const char *name)
{
	const struct vars	*v = ctx;
	size_t			 i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return v->value[i];
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vars	 v;
	struct io	 io;
	char		*text, *p, *end, *out;
	size_t		 outlen, i;
	const char	*doc, *uri, *script, *info;
	int		 rc;

	if (size < 2)
		return 0;
	if ((text = malloc(size - 2 + 1)) == NULL)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	end = text + (size - 2);
	memset(&v, 0, sizeof(v));
	for (i = 0, p = text; i < 4; i++) {
		if (!(data[0] & (1u << i)))
			continue;
		v.value[i] = p <= end ? p : "";
		if (p <= end)
			p += strlen(p) + 1;
	}
	memset(&io, 0, sizeof(io));
	io.param = param;
	io.ctx = &v;
	outlen = data[1];
	if ((out = malloc(outlen > 0 ? outlen : 1)) == NULL) {
		free(text);
		return 0;
	}
	rc = route_path(&io, out, outlen);
	FUZZ_CHECK(rc == 0 || rc == -1, "0 or -1");
	doc = v.value[0];
	uri = v.value[1];
	script = v.value[2];
	info = v.value[3];
	if ((doc == NULL || doc[0] != '/') && (uri == NULL || uri[0] != '/') &&
	    (script == NULL || script[0] != '/'))
		FUZZ_CHECK(rc == -1, "no path without a variable starting /");
	if (rc == 0) {
		FUZZ_CHECK(outlen > 0 && memchr(out, '\0', outlen) != NULL,
		    "a NUL-terminated path within the buffer");
		FUZZ_CHECK(out[0] == '/', "a path starts with /");
		if (doc != NULL && doc[0] == '/')
			FUZZ_CHECK(strcmp(out, doc) == 0, "DOCUMENT_URI whole");
		else if (uri != NULL && uri[0] == '/')
			FUZZ_CHECK(strlen(out) == strcspn(uri, "?#") &&
			    strncmp(out, uri, strlen(out)) == 0,
			    "REQUEST_URI up to its query");
		else {
			FUZZ_CHECK(script != NULL && script[0] == '/',
			    "SCRIPT_NAME is the last way");
			FUZZ_CHECK(strncmp(out, script, strlen(script)) == 0 &&
			    strcmp(out + strlen(script), info != NULL ? info :
			    "") == 0, "SCRIPT_NAME then PATH_INFO");
		}
	}
	free(out);
	free(text);
	return 0;
}
