/*
 * route.h: which endpoint answers a request, from the path the web server
 * passes, through one const table.  Every process model (CGI, FastCGI
 * workers) dispatches here and nowhere else.
 */
#ifndef AR_ROUTE_H
#define AR_ROUTE_H

#include "base/io.h"
#include "api/context.h"

/* An endpoint: answers one request on io, logs one line, and returns the
 * HTTP status it answered. */
typedef int (*route_handler)(struct responder_ctx *ctx, const struct io *io);

/* The path of the request: DOCUMENT_URI (nginx's normalised $uri), else
 * REQUEST_URI without its query, else SCRIPT_NAME followed by PATH_INFO.
 * Copies at most outlen - 1 bytes; returns 0, or -1 when there is none or
 * it does not fit. */
int route_path(const struct io *io, char *out, size_t outlen);

/* Answers the request with its endpoint's handler, or 404 not_found.  A
 * path matches a row with or without its trailing slash, so that a POST
 * to .../reset is not turned into a redirect that clients follow with a
 * GET. */
int route_dispatch(struct responder_ctx *ctx, const struct io *io);

#endif
