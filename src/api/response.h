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
	char	access_token[TOKEN_CHARS + 1];
	char	refresh_token[TOKEN_CHARS + 1];
	long	expires_in;
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

#endif
