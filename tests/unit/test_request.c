/*
 * test_request.c: the request checks, fed directly (no web server, no
 * database): method, content type, length, and the JSON body.
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "api/request.h"
#include "api/reset.h"

/* The reset endpoint's members from a body already read. */
static enum api_error
reset_parse_body(const char *body, size_t len, struct reset_request *req,
    struct outcome *why)
{
	const struct request_source	src = REQUEST_FROM_BODY(body, len);

	return reset_take(&src, req, why);
}

static enum api_error
headers(const char *method, const char *ct, const char *len)
{
	struct outcome	why;
	size_t		n;

	return request_check_headers(method, ct, len, 8192, &n, &why);
}

/* Parses body (len bytes) and returns the error; keeps the detail. */
static enum api_error
parse_n(const char *body, size_t len, const char **detail)
{
	struct reset_request	req;
	struct outcome		why = { .error = API_OK };
	enum api_error		rc;

	rc = reset_parse_body(body, len, &req, &why);
	if (detail != NULL)
		*detail = why.detail;
	if (rc == API_OK)
		reset_free(&req);
	return rc;
}

static enum api_error
parse(const char *body)
{
	return parse_n(body, strlen(body), NULL);
}

static void
test_headers(void)
{
	size_t		n = 0;
	struct outcome	why;

	ok(headers("POST", "application/json", "10") == API_OK,
	    "POST application/json with a length passes");
	ok(headers("POST", "application/json; charset=utf-8", "10") == API_OK,
	    "a charset=utf-8 parameter is accepted");
	ok(headers("POST", "Application/JSON;charset=\"UTF-8\"", "10") == API_OK,
	    "the media type and charset are case-insensitive");
	ok(headers("GET", "application/json", "10") == API_METHOD_NOT_ALLOWED,
	    "GET gets 405");
	ok(headers("post", "application/json", "10") == API_METHOD_NOT_ALLOWED,
	    "methods are case-sensitive: post gets 405");
	ok(headers(NULL, "application/json", "10") == API_METHOD_NOT_ALLOWED,
	    "no method gets 405");
	ok(headers("POST", "text/plain", "10") == API_UNSUPPORTED_MEDIA_TYPE,
	    "text/plain gets 415");
	ok(headers("POST", NULL, "10") == API_UNSUPPORTED_MEDIA_TYPE,
	    "no content type gets 415");
	ok(headers("POST", "application/jsonx", "10") ==
	    API_UNSUPPORTED_MEDIA_TYPE, "application/jsonx gets 415");
	ok(headers("POST", "application/json; charset=latin1", "10") ==
	    API_UNSUPPORTED_MEDIA_TYPE, "a charset other than UTF-8 gets 415");
	ok(headers("POST", "application/json", NULL) == API_LENGTH_REQUIRED,
	    "no CONTENT_LENGTH gets 411");
	ok(headers("POST", "application/json", "") == API_LENGTH_REQUIRED,
	    "an empty CONTENT_LENGTH gets 411");
	ok(headers("POST", "application/json", "-1") == API_INVALID_REQUEST,
	    "a negative CONTENT_LENGTH gets invalid_request");
	ok(headers("POST", "application/json", "12abc") == API_INVALID_REQUEST,
	    "a non-numeric CONTENT_LENGTH gets invalid_request");
	ok(headers("POST", "application/json", " 12") == API_INVALID_REQUEST,
	    "a CONTENT_LENGTH with a space gets invalid_request");
	ok(headers("POST", "application/json", "0") == API_INVALID_REQUEST,
	    "a zero CONTENT_LENGTH (empty body) gets invalid_request");
	ok(headers("POST", "application/json", "8192") == API_OK,
	    "a body exactly at the limit passes");
	ok(headers("POST", "application/json", "8193") == API_PAYLOAD_TOO_LARGE,
	    "a body one byte over the limit gets 413");
	ok(headers("POST", "application/json", "99999999999999999999999") ==
	    API_PAYLOAD_TOO_LARGE, "a CONTENT_LENGTH past size_t is too large");
	ok(headers("POST", "application/json", "9999999999999999999") ==
	    API_PAYLOAD_TOO_LARGE, "a huge CONTENT_LENGTH gets 413");
	ok(request_check_headers("POST", "application/json", "123", 8192, &n,
	    &why) == API_OK && n == 123, "the declared length is returned");
	ok(headers("GET", "text/plain", NULL) == API_METHOD_NOT_ALLOWED,
	    "the method is checked before the content type");
	ok(headers("POST", "text/plain", "999999") == API_UNSUPPORTED_MEDIA_TYPE,
	    "the content type is checked before the length");
}

/* Bodies whose whole answer is the error they give: one row each. */
static const struct {
	const char	*body;
	enum api_error	 want;
	const char	*what;
} bodies[] = {
	{ "{\"password\":\"x\",\"validation_code\":\"y\",\"extra\":[1,{}]}",
	    API_OK, "other members are ignored" },
	{ "  {\"validation_code\":\"y\",\"password\":\"x\"}\r\n ",
	    API_OK, "whitespace around the object is allowed" },
	{ "not json",
	    API_INVALID_REQUEST, "text is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\"",
	    API_INVALID_REQUEST, "a truncated object is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\"}{}",
	    API_INVALID_REQUEST, "a second JSON value is refused" },
	{ "[\"y\",\"x\"]",
	    API_INVALID_REQUEST, "an array is refused" },
	{ "\"a string\"",
	    API_INVALID_REQUEST, "a string is refused" },
	{ "42",
	    API_INVALID_REQUEST, "a number is refused" },
	{ "null",
	    API_INVALID_REQUEST, "null is refused" },
	{ "{\"password\":\"x\"}",
	    API_INVALID_REQUEST, "a missing validation_code is refused" },
	{ "{\"validation_code\":\"y\"}",
	    API_INVALID_REQUEST, "a missing password is refused" },
	{ "{\"validation_code\":123,\"password\":\"x\"}",
	    API_INVALID_REQUEST, "a numeric validation_code is refused" },
	{ "{\"validation_code\":\"y\",\"password\":null}",
	    API_INVALID_REQUEST, "a null password is refused" },
	{ "{\"validation_code\":\"y\",\"password\":[\"x\"]}",
	    API_INVALID_REQUEST, "an array password is refused" },
	{ "{\"validation_code\":\"y\",\"password\":{\"a\":1}}",
	    API_INVALID_REQUEST, "an object password is refused" },
	{ "{\"validation_code\":\"y\",\"password\":true}",
	    API_INVALID_REQUEST, "a boolean password is refused" },
	{ "{'validation_code':'y','password':'x'}",
	    API_INVALID_REQUEST, "single quotes are refused (strict JSON)" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\",}",
	    API_INVALID_REQUEST, "a trailing comma is refused (strict JSON)" },
	{ "\xef\xbb\xbf{\"validation_code\":\"y\",\"password\":\"x\"}",
	    API_INVALID_REQUEST, "a byte-order mark is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"\xc0\xaf\"}",
	    API_INVALID_REQUEST, "overlong UTF-8 is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"\xed\xa0\x80\"}",
	    API_INVALID_REQUEST, "an encoded surrogate is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"a\\ud800b\"}",
	    API_INVALID_REQUEST, "a lone high surrogate escape is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"a\\udc00b\"}",
	    API_INVALID_REQUEST, "a lone low surrogate escape is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"\\ud800\\u0041\"}",
	    API_INVALID_REQUEST,
	    "a high surrogate before a non-surrogate is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"a\\ud800\"}",
	    API_INVALID_REQUEST,
	    "a high surrogate at the end of a string is refused" },
	{ "{\"validation_code\":\"y\",\"\\ud800\":1,\"password\":\"x\"}",
	    API_INVALID_REQUEST, "a lone surrogate in a member name is refused" },
	{ "{\"validation_code\":\"REAL\",\"password\":\"x\","
	    "\"validation_code\\u0000\":\"OTHER\"}", API_INVALID_REQUEST,
	    "a member name with an escaped NUL is refused, not read as the name "
	    "before it (issue 19, point 11)" },
	{ "{\"validation_code\\u0000junk\":\"y\",\"password\":\"x\"}",
	    API_INVALID_REQUEST, "...wherever it is in the name" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\",\"a\\u0000\":1}",
	    API_INVALID_REQUEST, "...and whichever member it is" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\",\"password\":\"z\"}",
	    API_INVALID_REQUEST, "a member name given twice is refused" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\",\"a\":1,\"a\":2}",
	    API_INVALID_REQUEST, "...an unexpected one too" },
	{ "{\"validation_code\":\"y\",\"password\":\"x\","
	    "\"n\":{\"a\":1,\"b\":[{\"c\":\"x:\\\"\"}]}}", API_OK,
	    "nested objects and escaped quotes do not count as member names" },
	{ "{\"validation_code\":\"a\\u0000b\",\"password\":\"x\"}",
	    API_OK, "a NUL escape in a value is no member name" },
	{ "{\"validation_code\":\"\\\\ud800\",\"password\":\"x\"}",
	    API_OK, "an escaped backslash before ud800 is not an escape" },
	{ "{\"a\":[[[[[[1]]]]]],\"validation_code\":\"y\",\"password\":\"x\"}",
	    API_OK, "nesting within the limit is accepted" },
};

static void
test_body_table(void)
{
	size_t	i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		ok(parse(bodies[i].body) == bodies[i].want, "%s", bodies[i].what);
}

static void
test_body(void)
{
	struct reset_request	 req;
	struct outcome		 why;
	const char		*detail;
	char			 deep[64], nul_body[64];
	const char		*good = "{\"validation_code\":\"abc\","
				    "\"password\":\"P\\u00e4ss w0rd!\"}";
	size_t			 n;

	ok(reset_parse_body(good, strlen(good), &req, &why) == API_OK,
	    "a well-formed body parses");
	ok(req.validation_code != NULL && strcmp(req.validation_code, "abc") == 0,
	    "the code is copied");
	ok(req.password != NULL && req.password_len == 11 &&
	    memcmp(req.password, "P\xc3\xa4ss w0rd!", 11) == 0,
	    "escapes are decoded into UTF-8");
	reset_free(&req);
	ok(req.password == NULL && req.validation_code == NULL,
	    "reset_free clears the request");

	ok(parse_n("", 0, NULL) == API_INVALID_REQUEST, "an empty body is refused");
	ok(parse_n("{\"validation_code\":\"y\",\"password\":\"x\"} x", 40,
	    &detail) == API_INVALID_REQUEST && detail != NULL,
	    "trailing garbage is refused");
	ok(parse_n("{\"validation_code\":\"y\",\"password\":\"x\"}\0", 39,
	    NULL) == API_INVALID_REQUEST, "a NUL byte after the object is refused");
	ok(parse_n("{\"validation_code\":\"y\",\"password\":\"x\"} \0 ", 41,
	    NULL) == API_INVALID_REQUEST, "a NUL byte in trailing space is refused");
	ok(parse_n("{\"validation_code\":\"y\",\"password\":\"\xff\"}", 38,
	    &detail) == API_INVALID_REQUEST, "invalid UTF-8 is refused");
	ok(reset_parse_body("{\"validation_code\":\"y\",\"password\":"
	    "\"\\uD83D\\uDE00\"}", 49, &req, &why) == API_OK &&
	    req.password_len == 4 && memcmp(req.password, "\xf0\x9f\x98\x80",
	    4) == 0, "a surrogate pair is decoded into one 4-byte character");
	reset_free(&req);

	n = (size_t)snprintf(nul_body, sizeof(nul_body),
	    "{\"validation_code\":\"y\",\"password\":\"a");
	nul_body[n++] = '\0';
	n += (size_t)snprintf(nul_body + n, sizeof(nul_body) - n, "b\"}");
	ok(parse_n(nul_body, n, NULL) == API_INVALID_REQUEST,
	    "a raw NUL byte inside a string is refused");
	ok(reset_parse_body("{\"validation_code\":\"y\",\"password\":"
	    "\"a\\u0000b\"}", 45, &req, &why) == API_OK &&
	    req.password_len == 3 && req.password[1] == '\0',
	    "an escaped NUL is kept, with its length (the rules refuse it)");
	reset_free(&req);

	snprintf(deep, sizeof(deep), "{\"a\":[[[[[[[[[[]]]]]]]]]],"
	    "\"validation_code\":\"y\",\"password\":\"x\"}");
	ok(parse_n(deep, strlen(deep), &detail) == API_INVALID_REQUEST &&
	    detail != NULL && strstr(detail, "nested") != NULL,
	    "nesting deeper than the limit is refused as too deep");
}

/* A duplicate member: json-c would keep the last one, a front end may
 * read the first, so it is refused (docs/SECURITY.md, issue 19). */
static void
test_duplicates(void)
{
	struct reset_request	req;
	struct outcome		why;
	const char		body[] = "{\"validation_code\":\"y\",\"password\":"
				    "\"first\",\"password\":\"second\"}";

	ok(reset_parse_body(body, sizeof(body) - 1, &req, &why) ==
	    API_INVALID_REQUEST && req.password == NULL,
	    "a duplicate member is refused, and nothing of it is kept");
	reset_free(&req);
}

/* The whole check through the io callbacks, as CGI and FastCGI call it. */
struct fake {
	const char	*method, *ct, *len;
	const char	*body;
	size_t		 body_len, pos;
};

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake	*f = ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return f->method;
	if (strcmp(name, "CONTENT_TYPE") == 0)
		return f->ct;
	if (strcmp(name, "CONTENT_LENGTH") == 0)
		return f->len;
	return NULL;
}

static ssize_t
fake_read(void *ctx, char *buf, size_t n)
{
	struct fake	*f = ctx;
	size_t		 left = f->body_len - f->pos;

	if (n > left)
		n = left;
	if (n > 3)
		n = 3;	/* short reads, as a socket gives them */
	memcpy(buf, f->body + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static int
fake_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

static enum api_error
read_via_io(const char *len, const char *body)
{
	struct fake		f = { "POST", "application/json", len, body,
				    strlen(body), 0 };
	struct io		io = { fake_param, fake_read, fake_write, &f, NULL };
	const struct request_source src = REQUEST_FROM_IO(&io, 8192);
	struct reset_request	req;
	struct outcome		why;
	enum api_error		rc;

	rc = reset_take(&src, &req, &why);
	if (rc == API_OK)
		reset_free(&req);
	return rc;
}

static void
test_read(void)
{
	const char	body[] = "{\"validation_code\":\"y\",\"password\":\"x\"}";

	ok(read_via_io("38", body) == API_OK,
	    "a body read in short pieces parses");
	ok(read_via_io("60", body) == API_INVALID_REQUEST,
	    "a body shorter than CONTENT_LENGTH is refused");
	ok(read_via_io("20", body) == API_INVALID_REQUEST,
	    "a CONTENT_LENGTH shorter than the body cuts it: refused");
}

int
main(void)
{
	test_headers();
	test_body();
	test_body_table();
	test_duplicates();
	test_read();
	return done_testing();
}
