/*
 * request.h: the untrusted request, checked from cheapest to dearest:
 * method and path, content type, length, body, JSON.  Nothing here
 * touches the database or hashes anything.
 */
#ifndef AR_REQUEST_H
#define AR_REQUEST_H

#include <stddef.h>

#include "base/io.h"
#include "base/outcome.h"

#define REQUEST_JSON_MAX_DEPTH	8

/* One string member an endpoint takes from the request's JSON object:
 * a NUL-terminated copy of valid UTF-8 goes to *value (wipe it with
 * secure_free(*value, *len)), or NULL for an optional member that is
 * absent.  The three refusals are static sentences for the answer. */
struct request_field {
	const char	 *name;
	int		  optional;
	char		**value;
	size_t		 *len;
	const char	 *missing, *not_string, *bad_utf8;
};

/* A CGI CONTENT_LENGTH: decimal digits and nothing else; a number too
 * large for size_t saturates to SIZE_MAX.  0, or -1 when it is not one. */
int request_content_length(const char *s, size_t *out);

/* Method, content type and declared length, from the CGI variables.
 * On success stores the declared body length in *length. */
enum api_error request_check_headers(const char *method,
    const char *content_type, const char *content_length, size_t max_body,
    size_t *length, struct outcome *why);

/* Parses a body: one JSON object; each field is copied in the order
 * given (other members are ignored).  On a refusal every field is wiped,
 * freed and NULL. */
enum api_error request_parse_fields(const char *body, size_t len,
    const struct request_field *fields, size_t nfields, struct outcome *why);

/* The whole check for any endpoint: headers from io->param, the body read
 * from io->read, then request_parse_fields. */
enum api_error request_read_fields(const struct io *io, size_t max_body,
    const struct request_field *fields, size_t nfields, struct outcome *why);

/* Where an endpoint's members come from: a request on io (the whole
 * check, request_read_fields) or a body already read (request_parse_fields,
 * for tests and fuzzing). */
struct request_source {
	const struct io	*io;		/* or NULL: body and len */
	size_t		 max_body;
	const char	*body;
	size_t		 len;
};

#define REQUEST_FROM_IO(io, max_body)	{ (io), (max_body), NULL, 0 }
#define REQUEST_FROM_BODY(body, len)	{ NULL, 0, (body), (len) }

/* request_read_fields or request_parse_fields, as src says. */
enum api_error request_take_fields(const struct request_source *src,
    const struct request_field *fields, size_t nfields, struct outcome *why);

#endif
