/*
 * test_recover.c: the recover endpoint's request checks, fed directly
 * (no web server, no database): the members, the address and the locale.
 */
#include "ac-config.h"

#include <string.h>

#include "../tap.h"
#include "api/recover.h"

static enum api_error
parse(const char *body, struct recover_request *req, const char **detail)
{
	const struct request_source src = REQUEST_FROM_BODY(body, strlen(body));
	struct outcome	why = { .error = API_OK };
	enum api_error	rc;

	rc = recover_take(&src, req, &why);
	if (detail != NULL)
		*detail = why.detail;
	return rc;
}

static enum api_error
parse_only(const char *body)
{
	struct recover_request	req;
	enum api_error		rc = parse(body, &req, NULL);

	recover_free(&req);
	return rc;
}

int
main(void)
{
	struct recover_request	 req;
	const char		*detail = NULL;

	ok(parse("{\"email\":\"user@example.com\"}", &req, NULL) == API_OK &&
	    req.email_len == 16 && strcmp(req.email, "user@example.com") == 0 &&
	    req.locale == NULL, "an address alone is accepted, no locale");
	recover_free(&req);
	ok(req.email == NULL && req.locale == NULL, "recover_free zeroes");
	ok(parse("{\"email\":\"User@Example.com\",\"locale\":\"DE-ch\"}", &req,
	    NULL) == API_OK && strcmp(req.email, "User@Example.com") == 0 &&
	    strcmp(req.locale, "de-ch") == 0,
	    "the address keeps its case, the locale is lower-cased");
	recover_free(&req);
	ok(parse_only("{\"email\":\"user@example.com\",\"password\":1}") ==
	    API_OK, "other members are ignored");

	ok(parse("{}", &req, &detail) == API_INVALID_REQUEST && detail != NULL &&
	    strstr(detail, "email") != NULL && req.email == NULL,
	    "a missing email is invalid_request naming it");
	ok(parse_only("{\"email\":5}") == API_INVALID_REQUEST,
	    "an email that is no string is invalid_request");
	ok(parse_only("[\"user@example.com\"]") == API_INVALID_REQUEST,
	    "an array is invalid_request");
	ok(parse_only("{\"email\":\"user@example.com\"") == API_INVALID_REQUEST,
	    "truncated JSON is invalid_request");
	ok(parse("{\"email\":\"not an address\"}", &req, NULL) ==
	    API_INVALID_EMAIL && req.email == NULL,
	    "a bad address is invalid_email and holds nothing");
	ok(parse_only("{\"email\":\"a@example.com\\r\\nBcc: b@example.org\"}") ==
	    API_INVALID_EMAIL, "an escaped CR LF in the address is invalid_email");
	ok(parse_only("{\"email\":\"a@example.com\\u0000\"}") == API_INVALID_EMAIL,
	    "an escaped NUL in the address is invalid_email");
	ok(parse_only("{\"email\":\"\"}") == API_INVALID_EMAIL,
	    "an empty address is invalid_email");
	ok(parse_only("{\"email\":\"user@example.com\",\"locale\":\"\"}") ==
	    API_INVALID_REQUEST, "an empty locale is invalid_request");
	ok(parse("{\"email\":\"user@example.com\",\"locale\":\"../../etc\"}",
	    &req, &detail) == API_INVALID_REQUEST && detail != NULL &&
	    strstr(detail, "locale") != NULL && req.email == NULL,
	    "a path as the locale is invalid_request and holds nothing");
	ok(parse_only("{\"email\":\"user@example.com\",\"locale\":7}") ==
	    API_INVALID_REQUEST, "a locale that is no string is invalid_request");

	ok(locale_tag_valid("en", 2) && locale_tag_valid("de-CH", 5) &&
	    locale_tag_valid("zh-hant-tw", 10) &&
	    locale_tag_valid("gsw", 3), "language tags are accepted");
	ok(!locale_tag_valid("e", 1) && !locale_tag_valid("engl", 4) &&
	    !locale_tag_valid("en-", 3) && !locale_tag_valid("-en", 3) &&
	    !locale_tag_valid("en--us", 6) && !locale_tag_valid("en_US", 5) &&
	    !locale_tag_valid("en/x", 4) && !locale_tag_valid("en.x", 4) &&
	    !locale_tag_valid("1n", 2) && !locale_tag_valid("en-123456789", 12),
	    "other shapes are refused");
	ok(!locale_tag_valid("\xc3\xa9n", 3), "non-ASCII is refused");
	ok(!locale_tag_valid("en-aaaaaaaa-bbbbbbbb-cccccccc-ddddd", 35) == 0 &&
	    !locale_tag_valid("en-aaaaaaaa-bbbbbbbb-cccccccc-dddddd", 36),
	    "35 characters at most");
	return done_testing();
}
