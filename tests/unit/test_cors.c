/*
 * test_cors.c: the CORS answers of cors.h: exact origins only, never
 * "*", Vary: Origin whenever an allow-list is set, preflights only for
 * POST from an allowed origin.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "api/cors.h"

struct fake {
	const char	*method, *origin, *asked;
};

static const char *
fake_param(void *ctx, const char *name)
{
	const struct fake	*f = ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return f->method;
	if (strcmp(name, "HTTP_ORIGIN") == 0)
		return f->origin;
	if (strcmp(name, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") == 0)
		return f->asked;
	return NULL;
}

static const char	*LIST = "https://app.example http://127.0.0.1:8080";

/* The headers for a request with method, Origin and the asked method. */
static const char *
headers(const char *origins, const char *method, const char *origin,
    const char *asked, int *preflight)
{
	static char	out[CORS_HEADERS_MAX];
	struct fake	f = { method, origin, asked };
	struct io	io = { fake_param, NULL, NULL, &f, NULL };

	*preflight = cors_is_preflight(&io, origins);
	cors_headers(&io, origins, *preflight, out, sizeof(out));
	return out;
}

int
main(void)
{
	const char	*h;
	int		 pre;

	ok(cors_origin_allowed(LIST, "https://app.example") &&
	    cors_origin_allowed(LIST, "http://127.0.0.1:8080"),
	    "a listed origin is allowed");
	ok(!cors_origin_allowed(LIST, "https://app.example.evil") &&
	    !cors_origin_allowed(LIST, "https://app.exampl") &&
	    !cors_origin_allowed(LIST, "http://app.example") &&
	    !cors_origin_allowed(LIST, "") && !cors_origin_allowed(LIST, NULL) &&
	    !cors_origin_allowed(LIST, "https://app.example http://127.0.0.1:8080"),
	    "only an exact origin is allowed: no prefix, suffix, other scheme "
	    "or several at once");
	ok(!cors_origin_allowed("", "https://app.example"),
	    "an empty list allows nothing");

	h = headers("", "POST", "https://app.example", NULL, &pre);
	ok(h[0] == '\0' && !pre, "without cors_origins no CORS header at all");

	h = headers(LIST, "POST", "https://app.example", NULL, &pre);
	ok(!pre && strcmp(h, "Access-Control-Allow-Origin: https://app.example\r\n"
	    "Vary: Origin\r\n") == 0,
	    "a POST from an allowed origin gets that origin back and Vary");

	h = headers(LIST, "POST", "https://evil.example", NULL, &pre);
	ok(!pre && strcmp(h, "Vary: Origin\r\n") == 0,
	    "a POST from another origin gets Vary: Origin only");
	ok(strstr(h, "*") == NULL, "never \"*\"");

	h = headers(LIST, "OPTIONS", "https://app.example", "POST", &pre);
	ok(pre && strstr(h, "Access-Control-Allow-Origin: https://app.example\r\n") &&
	    strstr(h, "Access-Control-Allow-Methods: POST\r\n") &&
	    strstr(h, "Access-Control-Allow-Headers: Content-Type\r\n") &&
	    strstr(h, "Access-Control-Max-Age: 600\r\n") &&
	    strstr(h, "Vary: Origin\r\n"),
	    "a preflight from an allowed origin gets method, header, max age");

	h = headers(LIST, "OPTIONS", "https://evil.example", "POST", &pre);
	ok(!pre && strcmp(h, "Vary: Origin\r\n") == 0,
	    "a preflight from another origin is no preflight (405 as before)");
	h = headers(LIST, "OPTIONS", "https://app.example", "DELETE", &pre);
	ok(!pre, "a preflight for another method than POST is refused");
	h = headers(LIST, "OPTIONS", "https://app.example", NULL, &pre);
	ok(!pre, "OPTIONS without Access-Control-Request-Method is no preflight");
	return done_testing();
}
