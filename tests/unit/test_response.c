/*
 * test_response.c: the status table and the exact answers written.
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../tap.h"
#include "api/response.h"
#include "password/rules.h"

struct capture {
	char	buf[4096];
	size_t	len;
};

static const char *
no_param(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

static ssize_t
no_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

static int
cap_write(void *ctx, const char *buf, size_t n)
{
	struct capture	*c = ctx;

	if (n > sizeof(c->buf) - 1 - c->len)
		return -1;
	memcpy(c->buf + c->len, buf, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

/* The JSON body after the blank line, parsed. */
static struct json_object *
body_of(const struct capture *c)
{
	const char	*b = strstr(c->buf, "\r\n\r\n");

	return b ? json_tokener_parse(b + 4) : NULL;
}

static int
has_header(const struct capture *c, const char *line)
{
	const char	*end = strstr(c->buf, "\r\n\r\n");
	const char	*h = strstr(c->buf, line);

	return h != NULL && end != NULL && h < end;
}

static const char *
member(struct json_object *o, const char *name)
{
	struct json_object	*m;

	if (!json_object_object_get_ex(o, name, &m))
		return NULL;
	return json_object_get_string(m);
}

static void
test_table(void)
{
	static const struct { enum api_error e; int status; const char *code; }
	    rows[] = {
		{ API_INVALID_REQUEST, 400, "invalid_request" },
		{ API_INVALID_PASSWORD, 400, "invalid_password" },
		{ API_INVALID_CODE, 400, "invalid_validation_code" },
		{ API_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
		{ API_LENGTH_REQUIRED, 411, "length_required" },
		{ API_PAYLOAD_TOO_LARGE, 413, "payload_too_large" },
		{ API_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type" },
		{ API_TOO_MANY_REQUESTS, 429, "too_many_requests" },
		{ API_SERVER_ERROR, 500, "server_error" },
		{ API_UNAVAILABLE, 503, "temporarily_unavailable" },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ok(api_error_status(rows[i].e) == rows[i].status &&
		    strcmp(api_error_code(rows[i].e), rows[i].code) == 0 &&
		    api_error_description(rows[i].e) != NULL,
		    "%s is %d with a description", rows[i].code, rows[i].status);
	ok(api_error_status((enum api_error)999) == 500 &&
	    strcmp(api_error_code((enum api_error)999), "server_error") == 0,
	    "an error outside the table becomes 500 server_error");
}

static void
test_error_answers(void)
{
	struct capture		 c = { .len = 0 };
	struct io		 io = { no_param, no_read, cap_write, &c, NULL };
	struct outcome		 why = { .error = API_INVALID_PASSWORD,
				    .violations = RULE_CONTROL_CHARACTER |
				    RULE_TOO_SHORT };
	struct json_object	*o, *v;

	ok(respond_error(&io, &why, 5) == 0, "an error answer is written");
	ok(strncmp(c.buf, "Status: 400 Bad Request\r\n", 25) == 0,
	    "it starts with the CGI Status line");
	ok(has_header(&c, "Content-Type: application/json\r\n") &&
	    has_header(&c, "Cache-Control: no-store\r\n") &&
	    has_header(&c, "Pragma: no-cache\r\n"),
	    "it has the JSON and no-cache headers");
	o = body_of(&c);
	ok(o != NULL && json_object_is_type(o, json_type_object),
	    "its body is a JSON object");
	ok(o != NULL && member(o, "error") != NULL &&
	    strcmp(member(o, "error"), "invalid_password") == 0 &&
	    member(o, "error_description") != NULL,
	    "error and error_description are set");
	ok(o != NULL && json_object_object_get_ex(o, "violations", &v) &&
	    json_object_array_length(v) == 2 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(v, 0)),
	    "too_short") == 0 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(v, 1)),
	    "control_character") == 0,
	    "violations name every failed rule, in rule order");
	json_object_put(o);

	c.len = 0;
	why.error = API_METHOD_NOT_ALLOWED;
	respond_error(&io, &why, 5);
	ok(strncmp(c.buf, "Status: 405 ", 12) == 0 &&
	    has_header(&c, "Allow: POST\r\n"), "405 carries Allow: POST");
	o = body_of(&c);
	ok(o != NULL && !json_object_object_get_ex(o, "violations", NULL),
	    "only invalid_password carries violations");
	json_object_put(o);

	c.len = 0;
	why.error = API_UNAVAILABLE;
	respond_error(&io, &why, 7);
	ok(strncmp(c.buf, "Status: 503 ", 12) == 0 &&
	    has_header(&c, "Retry-After: 7\r\n"), "503 carries Retry-After");

	c.len = 0;
	why.error = API_INVALID_REQUEST;
	why.detail = "The body is not valid JSON.";
	respond_error(&io, &why, 5);
	o = body_of(&c);
	ok(o != NULL && strcmp(member(o, "error_description"),
	    "The body is not valid JSON.") == 0,
	    "a detail replaces the table's description");
	json_object_put(o);

	c.len = 0;
	why.error = API_SERVER_ERROR;
	why.detail = "internal detail";
	respond_error(&io, &why, 5);
	ok(strstr(c.buf, "internal detail") == NULL,
	    "a 500 never shows a detail");
}

static void
test_token_answer(void)
{
	struct capture		 c = { .len = 0 };
	struct io		 io = { no_param, no_read, cap_write, &c, NULL };
	struct issued_token	 t;
	struct config		 cfg;
	struct json_object	*o, *tok, *m;
	int			 n = 0;

	config_defaults(&cfg);
	snprintf(cfg.client_id, sizeof(cfg.client_id), "web-app");
	snprintf(cfg.scope, sizeof(cfg.scope), "read write");
	memset(&t, 0, sizeof(t));
	memset(t.access_token, 'A', TOKEN_CHARS);
	memset(t.refresh_token, 'R', TOKEN_CHARS);
	t.expires_in = 3600;
	ok(respond_token(&io, &t, &cfg) == 0, "a token answer is written");
	ok(strncmp(c.buf, "Status: 200 OK\r\n", 16) == 0 &&
	    has_header(&c, "Cache-Control: no-store\r\n") &&
	    has_header(&c, "Pragma: no-cache\r\n"),
	    "200 with no-store and no-cache");
	o = body_of(&c);
	ok(o != NULL && json_object_object_length(o) == 1 &&
	    json_object_object_get_ex(o, "token", &tok),
	    "the body has exactly one member, token");
	if (o == NULL || !json_object_object_get_ex(o, "token", &tok))
		return;
	json_object_object_foreach(tok, key, val) {
		(void)val;
		if (strcmp(key, "access_token") == 0 ||
		    strcmp(key, "expires_in") == 0 ||
		    strcmp(key, "token_type") == 0 ||
		    strcmp(key, "refresh_token") == 0 ||
		    strcmp(key, "client_id") == 0 || strcmp(key, "scope") == 0)
			n++;
		else
			n = -100;
	}
	ok(n == 6, "token has exactly the six members of the spec");
	ok(json_object_object_get_ex(tok, "expires_in", &m) &&
	    json_object_is_type(m, json_type_int) &&
	    json_object_get_int(m) == 3600, "expires_in is a JSON integer");
	ok(strcmp(member(tok, "token_type"), "Bearer") == 0,
	    "token_type is Bearer");
	ok(strcmp(member(tok, "client_id"), "web-app") == 0 &&
	    strcmp(member(tok, "scope"), "read write") == 0,
	    "client_id and scope come from the configuration");
	ok(strlen(member(tok, "access_token")) == TOKEN_CHARS &&
	    strlen(member(tok, "refresh_token")) == TOKEN_CHARS,
	    "both tokens are passed through whole");
	json_object_put(o);
}

/* io->headers (the CORS headers of cors.h) ride on every answer, and the
 * preflight's answer is 204 with no body. */
static void
test_request_headers(void)
{
	struct capture		 c = { .len = 0 };
	struct io		 io = { no_param, no_read, cap_write, &c,
				    "Access-Control-Allow-Origin: https://a.example\r\n"
				    "Vary: Origin\r\n" };
	struct outcome		 why = { .error = API_INVALID_CODE };
	char			*end;

	ok(respond_error(&io, &why, 5) == 0 &&
	    has_header(&c, "Access-Control-Allow-Origin: https://a.example\r\n") &&
	    has_header(&c, "Vary: Origin\r\n"),
	    "an error answer carries io->headers");
	c.len = 0;
	memset(c.buf, 0, sizeof(c.buf));
	ok(respond_preflight(&io) == 0 &&
	    strncmp(c.buf, "Status: 204 No Content\r\n", 24) == 0 &&
	    has_header(&c, "Vary: Origin\r\n") &&
	    (end = strstr(c.buf, "\r\n\r\n")) != NULL && end[4] == '\0',
	    "a preflight answer is 204 with io->headers and no body");
}

int
main(void)
{
	test_table();
	test_error_answers();
	test_request_headers();
	test_token_answer();
	return done_testing();
}
