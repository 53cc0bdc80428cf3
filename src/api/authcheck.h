/*
 * authcheck.h: the check of an access token on every request a site
 * serves, with no site code: nginx's auth_request subrequest to the
 * location /api/v2/account/token/check/, or a FastCGI request in the
 * Authorizer role (Apache's mod_authnz_fcgi).
 */
#ifndef AR_AUTHCHECK_H
#define AR_AUTHCHECK_H

#include "api/context.h"
#include "base/io.h"

/* The auth_request location: "Authorization: Bearer <access token>" ->
 * 200 with X-User-Id, X-Scope and X-Client-Id (no body); 401 with
 * WWW-Authenticate (RFC 6750 3) when it is missing, malformed, unknown,
 * expired or revoked; 503 when the database cannot answer; never 2xx
 * otherwise.  Any method (nginx's subrequest has the original request's),
 * and no body is read. */
int authcheck_handle(struct responder_ctx *ctx, const struct io *io);

/* The same for the FastCGI Authorizer role, whatever the path: 200 with
 * Variable-USER_ID, Variable-SCOPE and Variable-CLIENT_ID, or the
 * refusal, which the web server sends to its client. */
int authcheck_authorize(struct responder_ctx *ctx, const struct io *io);

#endif
