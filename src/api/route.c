/*
 * route.c: the route table (see route.h).  A new endpoint is a new row.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/endpoint.h"
#include "api/reset.h"
#include "api/health.h"
#include "base/log.h"
#include "base/metrics.h"
#include "api/recover.h"
#include "api/response.h"
#include "api/route.h"

struct route {
	const char		*path;		/* with its trailing slash */
	route_handler		 handle;
};

static const struct route routes[] = {
	{ "/api/v2/account/reset/", reset_handle },
	{ "/api/v2/account/recover/", recover_handle },
	{ "/api/v2/account/health/", health_handle },
};

#define PATH_MAX_CHARS	512

int
route_path(const struct io *io, char *out, size_t outlen)
{
	const char	*doc = io->param(io->ctx, "DOCUMENT_URI");
	const char	*uri = io->param(io->ctx, "REQUEST_URI");
	const char	*script = io->param(io->ctx, "SCRIPT_NAME");
	const char	*info = io->param(io->ctx, "PATH_INFO");
	size_t		 n;
	int		 w;

	if (outlen == 0)
		return -1;
	if (doc != NULL && doc[0] == '/') {
		if ((n = strlen(doc)) >= outlen)
			return -1;
		memcpy(out, doc, n + 1);
		return 0;
	} else if (uri != NULL && uri[0] == '/') {
		n = strcspn(uri, "?#");
		if (n >= outlen)
			return -1;
		memcpy(out, uri, n);
		out[n] = '\0';
		return 0;
	} else if (script != NULL && script[0] == '/')
		w = snprintf(out, outlen, "%s%s", script,
		    info != NULL ? info : "");
	else
		return -1;
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

/* The row for path, or NULL. */
static const struct route *
find_row(const char *path)
{
	size_t	i, n = strlen(path), rn;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		rn = strlen(routes[i].path);
		if (n == rn && memcmp(path, routes[i].path, n) == 0)
			return &routes[i];
		if (n + 1 == rn && memcmp(path, routes[i].path, n) == 0)
			return &routes[i];
	}
	return NULL;
}

/* The answer for a path that no row names. */
static int
not_found(struct responder_ctx *ctx, const struct io *io)
{
	struct endpoint	ep;

	endpoint_open(&ep, ctx, io, ME_NOT_FOUND);
	ep.why.error = API_NOT_FOUND;
	return endpoint_finish(&ep, 404, NULL, NULL, 0);	/* refused */
}

int
route_dispatch(struct responder_ctx *ctx, const struct io *io)
{
	const struct route	*r = NULL;
	char			 path[PATH_MAX_CHARS];

	if (route_path(io, path, sizeof(path)) == 0)
		r = find_row(path);
	/* Each handler answers, logs and counts its request
	 * (endpoint_finish). */
	return (r != NULL ? r->handle : not_found)(ctx, io);
}
