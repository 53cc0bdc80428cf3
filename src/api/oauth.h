/*
 * oauth.h: what the OAuth 2.0 endpoints (token_endpoint.c, introspect.c,
 * revoke.c) and the auth check (authcheck.c) share: reading a
 * form-urlencoded request, the Bearer and Basic credentials of the
 * Authorization header, the attempt limit on failed secrets, and the
 * answer to a database failure.
 */
#ifndef AR_OAUTH_H
#define AR_OAUTH_H

#include <stddef.h>

#include "api/endpoint.h"
#include "api/form.h"
#include "base/io.h"
#include "base/outcome.h"
#include "conf/clients.h"
#include "db/db.h"
#include "password/token.h"

/* The longest token text taken (ours are TOKEN_CHARS); longer ones are
 * refused before any hashing or lookup. */
#define OAUTH_TOKEN_MAX	256

/* POST, Content-Type application/x-www-form-urlencoded, a Content-Length
 * up to max_body, then form_parse into fields.  API_OK, or the refusal
 * in why (the fields wiped). */
enum api_error oauth_read_form(const struct io *io, size_t max_body,
    struct form_field *fields, size_t nfields, struct outcome *why);

/* The token of an "Authorization: Bearer <token>" header (RFC 6750 2.1,
 * the scheme in any case) into out (OAUTH_TOKEN_MAX + 1 bytes), *len.
 * 0, -1 with no Authorization header, -2 when it is not a Bearer token of
 * the b64token syntax and length. */
int oauth_bearer(const struct io *io, char *out, size_t *len);

/* The caller of an "Authorization: Basic" header (RFC 6749 2.3.1: the id
 * and secret form-urlencoded, then base64) matched against the configured
 * introspection callers; NULL when absent, malformed or wrong.  The
 * secret is wiped here. */
const struct introspection_client *oauth_basic_client(const struct io *io,
    const struct introspection_clients *clients);

/* With token_attempt_limit on and a client address: the request's
 * client's failed token secrets in this window.  API_OK (*window_start
 * set), or 429 / 503 / 500 in ep->why. */
enum api_error oauth_attempt_check(struct endpoint *ep,
    unsigned long long *window_start);

/* Counts one failed token secret of the request's client (after
 * oauth_attempt_check gave window_start); a failure to count is logged,
 * not answered. */
void oauth_attempt_failed(struct endpoint *ep, unsigned long long window_start);

/* The SHA-256 (hex) of the form's token parameter f (text token) into
 * digest: API_OK, or API_INVALID_REQUEST in ep's outcome when it is
 * missing or empty (RFC 7662 2.1, RFC 7009 2.1). */
enum api_error oauth_token_digest(struct endpoint *ep,
    const struct form_field *f, const char *token,
    char digest[SHA256_HEX_CHARS + 1]);

#endif
