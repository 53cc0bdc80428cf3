/*
 * response.h: the only code that writes answers.  It owns the status
 * table: api_error -> HTTP status, error code, description.
 */
#ifndef AR_RESPONSE_H
#define AR_RESPONSE_H

#include "conf/config.h"
#include "base/io.h"
#include "base/outcome.h"
#include "password/token.h"

struct issued_token {
	char		 access_token[TOKEN_CHARS + 1];
	char		 refresh_token[TOKEN_CHARS + 1];
	long		 expires_in;
	const char	*client_id;	/* NULL: the configured one */
	const char	*scope;		/* NULL: the configured one */
};

int		 api_error_status(enum api_error error);
const char	*api_error_code(enum api_error error);
const char	*api_error_description(enum api_error error);

/* Writes the 200 answer of the spec.  Returns 0 or -1 (write failed). */
int respond_token(const struct io *io, const struct issued_token *token,
    const struct config *cfg);

/* A success whose body is the fixed JSON text json (with its newline):
 * 202 for a recover request, 200 for a health check. */
#define RESPONSE_ACCEPTED	"{\"status\":\"accepted\"}\n"
#define RESPONSE_HEALTHY	"{\"status\":\"ok\"}\n"
int respond_json(const struct io *io, int status, const char *json);

/* Writes the JSON error answer for why (with Allow or Retry-After where
 * the status calls for it).  Returns 0 or -1. */
int respond_error(const struct io *io, const struct outcome *why,
    long retry_after);

/* Writes 204 with no body: the answer to a CORS preflight, whose
 * headers come in io->headers (cors.h).  Returns 0 or -1. */
int respond_preflight(const struct io *io);
/* True when s can go into a header line as it is: printable ASCII. */
int respond_header_safe(const char *s);

/* The auth check's 200 (nginx auth_request, or with authorizer set the
 * FastCGI Authorizer role): no body, the grant in headers (X-User-Id,
 * X-Scope, X-Client-Id; or Variable-USER_ID, Variable-SCOPE,
 * Variable-CLIENT_ID).  0, or -1 (write failed; nothing is written when
 * a value fails respond_header_safe, which the caller checks first). */
int respond_authorized(const struct io *io, unsigned long long user_id,
    const char *client_id, const char *scope, int authorizer);

/* RFC 7662 2.2: {"active":false}, or active with scope, client_id, sub
 * (the user id, a string), exp and token_type.  0 or -1. */
int respond_introspection(const struct io *io, int active,
    unsigned long long user_id, const char *client_id, const char *scope,
    long long exp);

/* RFC 7009 2.2: 200, whether or not the token was known.  0 or -1. */
int respond_revoked(const struct io *io);

#endif
