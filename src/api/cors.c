/*
 * cors.c: the CORS answers (see cors.h).  Pure but for reading the
 * request's parameters; the origins were checked when the configuration
 * was read (config.c, cors_origins).
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "api/cors.h"

/* How long a browser may keep a preflight's answer, in seconds. */
#define CORS_MAX_AGE	600

int
cors_origin_allowed(const char *origins, const char *origin)
{
	const char	*p = origins;
	size_t		 n, on;

	if (origin == NULL || (on = strlen(origin)) == 0)
		return 0;
	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == on && memcmp(p, origin, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

int
cors_is_preflight(const struct io *io, const char *origins)
{
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	const char	*asked = io->param(io->ctx,
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD");

	return method != NULL && strcmp(method, "OPTIONS") == 0 &&
	    asked != NULL && strcmp(asked, "POST") == 0 &&
	    cors_origin_allowed(origins, io->param(io->ctx, "HTTP_ORIGIN"));
}

void
cors_headers(const struct io *io, const char *origins, int preflight,
    char *out, size_t outlen)
{
	const char	*origin = io->param(io->ctx, "HTTP_ORIGIN");
	int		 w;

	out[0] = '\0';
	if (origins[0] == '\0')
		return;
	if (!cors_origin_allowed(origins, origin))
		w = snprintf(out, outlen, "Vary: Origin\r\n");
	else if (!preflight)
		w = snprintf(out, outlen, "Access-Control-Allow-Origin: %s\r\n"
		    "Vary: Origin\r\n", origin);
	else
		w = snprintf(out, outlen, "Access-Control-Allow-Origin: %s\r\n"
		    "Access-Control-Allow-Methods: POST\r\n"
		    "Access-Control-Allow-Headers: Content-Type\r\n"
		    "Access-Control-Max-Age: %d\r\n"
		    "Vary: Origin\r\n", origin, CORS_MAX_AGE);
	if (w < 0 || (size_t)w >= outlen)
		out[0] = '\0';
}
