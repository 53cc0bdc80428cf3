/*
 * cors.h: cross-origin requests from browsers (README, "The pages").  A
 * site whose pages live on another origin than the API lists that origin
 * in cors_origins; an answer to an Origin on the list says so
 * (Access-Control-Allow-Origin: that origin, never "*"), and a preflight
 * (OPTIONS with Access-Control-Request-Method: POST) from it is answered
 * 204 with what POST needs.  Everything else is as without CORS: the
 * browser then keeps the answer from the other site's script.
 */
#ifndef AR_CORS_H
#define AR_CORS_H

#include <stddef.h>

#include "base/io.h"
#include "conf/config.h"

/* Room for the headers cors_headers writes (an allowed origin is one of
 * cors_origins, so shorter than CONFIG_STR_MAX). */
#define CORS_HEADERS_MAX	(CONFIG_STR_MAX + 256)

/* 1 when origin is one of the space-separated origins, exactly. */
int cors_origin_allowed(const char *origins, const char *origin);

/* 1 when the request on io is a preflight that origins allows: OPTIONS,
 * an allowed Origin, Access-Control-Request-Method: POST. */
int cors_is_preflight(const struct io *io, const char *origins);

/* The header lines for the answer to the request on io, into out (always
 * terminated): none without cors_origins; else Vary: Origin, and for an
 * allowed Origin its Access-Control-Allow-Origin (and, for a preflight,
 * the allowed method, header and max age). */
void cors_headers(const struct io *io, const char *origins, int preflight,
    char *out, size_t outlen);

#endif
