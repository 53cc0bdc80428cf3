/*
 * route.c: the route table (see route.h).  A new endpoint is a new row.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/authcheck.h"
#include "api/cors.h"
#include "api/endpoint.h"
#include "api/reset.h"
#include "api/health.h"
#include "api/introspect.h"
#include "api/revoke.h"
#include "api/token_endpoint.h"
#include "base/log.h"
#include "base/metrics.h"
#include "api/recover.h"
#include "api/response.h"
#include "api/route.h"

struct route {
	const char		*path;		/* with its trailing slash */
	route_handler		 handle;
	int			 cors;		/* browsers of cors_origins may POST */
	enum metrics_endpoint	 metric;	/* what a preflight is counted under */
};

static const struct route routes[] = {
	{ "/api/v2/account/reset/", reset_handle, 1, ME_RESET },
	{ "/api/v2/account/recover/", recover_handle, 1, ME_RECOVER },
	{ "/api/v2/account/health/", health_handle, 0, ME_HEALTH },
	/* The token endpoints: same origin only (section 14). */
	{ "/api/v2/account/token/", token_endpoint_handle, 0, ME_TOKEN },
	{ "/api/v2/account/token/check/", authcheck_handle, 0, ME_AUTH_CHECK },
	{ "/api/v2/account/token/introspect/", introspect_handle, 0, ME_INTROSPECT },
	{ "/api/v2/account/token/revoke/", revoke_handle, 0, ME_REVOKE },
};

/* A FastCGI request in the Authorizer role (libfcgi puts FCGI_ROLE first
 * among the parameters, so a web server's own cannot shadow it) is a
 * token check, whatever its path: the path is the protected resource's. */
static int
is_authorizer(const struct io *io)
{
	const char	*role = io->param(io->ctx, "FCGI_ROLE");

	return role != NULL && strcmp(role, "AUTHORIZER") == 0;
}

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

/* The preflight answer's writer: 204, the CORS headers in io. */
static int
write_preflight(const struct io *io, const void *arg,
    const struct config *cfg)
{
	(void)arg;
	(void)cfg;
	return respond_preflight(io);
}

/* The answer to a CORS preflight that cors_origins allows (cors.h). */
static int
preflight(struct responder_ctx *ctx, const struct io *io,
    enum metrics_endpoint metric)
{
	struct endpoint	ep;

	endpoint_open(&ep, ctx, io, metric);
	return endpoint_finish(&ep, 204, write_preflight, NULL, 0);
}

int
route_dispatch(struct responder_ctx *ctx, const struct io *io)
{
	const struct route	*r = NULL;
	struct io		 with_cors = *io;
	char			 path[PATH_MAX_CHARS];
	char			 cors[CORS_HEADERS_MAX];
	int			 is_preflight;

	if (is_authorizer(io))
		return authcheck_authorize(ctx, io);
	if (route_path(io, path, sizeof(path)) == 0)
		r = find_row(path);
	/* The CORS headers ride on every answer of the row, refusals too,
	 * so that a page of an allowed origin can read why. */
	if (r != NULL && r->cors && ctx->cfg->cors_origins[0] != '\0') {
		is_preflight = cors_is_preflight(io, ctx->cfg->cors_origins);
		cors_headers(io, ctx->cfg->cors_origins, is_preflight, cors,
		    sizeof(cors));
		with_cors.headers = cors;
		if (is_preflight)
			return preflight(ctx, &with_cors, r->metric);
	}
	/* Each handler answers, logs and counts its request
	 * (endpoint_finish). */
	return (r != NULL ? r->handle : not_found)(ctx, &with_cors);
}
