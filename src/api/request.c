/*
 * request.c: the untrusted request.  Checks run from cheapest to dearest
 * and stop at the first refusal: method, content type, declared length,
 * the body itself, then its JSON.  Every byte here comes from the network.
 */
#include "ac-config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "api/request.h"
#include "password/rules.h"
#include "base/secure.h"
#include "base/utf8.h"

static enum api_error
refuse(struct outcome *why, enum api_error error, const char *detail)
{
	why->error = error;
	why->detail = detail;
	why->violations = 0;
	why->retry_after = 0;
	return error;
}

/* True when the media type is application/json, whatever the case, with
 * parameters allowed as long as a charset parameter, if any, is UTF-8. */
static int
is_json_media_type(const char *ct)
{
	static const char	 type[] = "application/json";
	const char		*p;

	if (strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return 0;
	p = ct + sizeof(type) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	/* Parameters: refuse only a charset that is not UTF-8. */
	while (*p != '\0') {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset=", 8) == 0) {
			p += 8;
			if (*p == '"')
				p++;
			if (strncasecmp(p, "utf-8", 5) != 0 &&
			    strncasecmp(p, "utf8", 4) != 0)
				return 0;
		}
		while (*p != '\0' && *p != ';')
			p++;
	}
	return 1;
}

/* A CGI CONTENT_LENGTH: decimal digits and nothing else.  A number too
 * large for size_t is still a number (RFC 9110 section 8.6): it saturates,
 * so that it is refused as too large rather than as malformed. */
int
request_content_length(const char *s, size_t *out)
{
	size_t	v = 0, i, d;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		d = (size_t)(s[i] - '0');
		v = v > (SIZE_MAX - d) / 10 ? SIZE_MAX : v * 10 + d;
	}
	if (i == 0)
		return -1;
	*out = v;
	return 0;
}

/* The value of 4 hex digits at s (len bytes left), or -1. */
static long
hex4(const char *s, size_t len)
{
	long	v = 0;
	size_t	i;
	int	c;

	if (len < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)s[i];
		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
	}
	return v;
}

/* True when a string in the JSON text has a \u escape of a surrogate
 * that is not half of a pair.  json-c would turn it into U+FFFD, so the
 * password stored would not be the one the client sent: refuse instead.
 * Malformed escapes are left for json-c to refuse. */
static int
has_lone_surrogate(const char *p, size_t len)
{
	size_t	i;
	long	v, w;
	int	in_string = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '"') {
			in_string = !in_string;
			continue;
		}
		if (!in_string || p[i] != '\\' || i + 1 >= len)
			continue;
		i++;	/* the escaped character */
		if (p[i] != 'u' || (v = hex4(p + i + 1, len - i - 1)) == -1)
			continue;
		i += 4;
		if (v >= 0xdc00 && v <= 0xdfff)
			return 1;	/* a low half on its own */
		if (v < 0xd800 || v > 0xdbff)
			continue;
		if (i + 2 < len && p[i + 1] == '\\' && p[i + 2] == 'u' &&
		    (w = hex4(p + i + 3, len - i - 3)) >= 0xdc00 && w <= 0xdfff)
			i += 6;
		else
			return 1;	/* a high half without its low half */
	}
	return 0;
}

/*
 * Member names of the top-level object, read from the JSON text itself:
 * json-c ends a name at an escaped NUL ("a\u0000b" becomes "a") and keeps
 * the last of two equal names, where a standards-following front end or
 * WAF may see another member.  So a name with \u0000 in it is refused,
 * and *count gets how many names the object has, to compare with how many
 * members json-c kept: fewer means a name came twice.  Only called on
 * text json-c has accepted, so strings and nesting are well formed.
 * Returns 1 when a name holds a NUL escape, else 0.
 */
static int
scan_member_names(const char *p, size_t len, size_t *count)
{
	size_t	i, j;
	int	depth = 0, in_string = 0, has_nul = 0, nul_name = 0;

	*count = 0;
	for (i = 0; i < len; i++) {
		if (in_string) {
			if (p[i] == '\\' && i + 1 < len) {
				if (p[i + 1] == 'u' && i + 5 < len &&
				    hex4(p + i + 2, len - i - 2) == 0)
					has_nul = 1;
				i++;
				continue;
			}
			if (p[i] != '"')
				continue;
			in_string = 0;
			/* A name is a string followed by a colon. */
			for (j = i + 1; j < len && (p[j] == ' ' || p[j] == '\t' ||
			    p[j] == '\r' || p[j] == '\n'); j++)
				;
			if (j < len && p[j] == ':') {
				nul_name |= has_nul;
				if (depth == 1)
					(*count)++;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			in_string = 1;
			has_nul = 0;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		}
	}
	return nul_name;
}

enum api_error
request_check_headers(const char *method, const char *content_type,
    const char *content_length, size_t max_body, size_t *length,
    struct outcome *why)
{
	if (method == NULL || strcmp(method, "POST") != 0)
		return refuse(why, API_METHOD_NOT_ALLOWED, NULL);
	if (content_type == NULL || !is_json_media_type(content_type))
		return refuse(why, API_UNSUPPORTED_MEDIA_TYPE, NULL);
	if (content_length == NULL || *content_length == '\0')
		return refuse(why, API_LENGTH_REQUIRED, NULL);
	if (request_content_length(content_length, length) == -1)
		return refuse(why, API_INVALID_REQUEST,
		    "Content-Length is not a valid length.");
	if (*length > max_body)
		return refuse(why, API_PAYLOAD_TOO_LARGE, NULL);
	if (*length == 0)
		return refuse(why, API_INVALID_REQUEST, "The body is empty.");
	return API_OK;
}

/* Copies one string member; API_OK, or the refusal. */
static enum api_error
take_string(struct json_object *obj, const struct request_field *f,
    struct outcome *why)
{
	struct json_object	*member;
	const char		*s;
	size_t			 len;

	if (!json_object_object_get_ex(obj, f->name, &member) || member == NULL) {
		if (f->optional)
			return API_OK;
		return refuse(why, API_INVALID_REQUEST, f->missing);
	}
	if (!json_object_is_type(member, json_type_string))
		return refuse(why, API_INVALID_REQUEST, f->not_string);
	s = json_object_get_string(member);
	len = (size_t)json_object_get_string_len(member);
	/* \u escapes can spell what the raw bytes may not (lone
	 * surrogates): check the decoded text too. */
	if (utf8_validate(s, len, NULL) == -1)
		return refuse(why, API_INVALID_REQUEST, f->bad_utf8);
	if ((*f->value = malloc(len + 1)) == NULL)
		return refuse(why, API_SERVER_ERROR, NULL);
	memcpy(*f->value, s, len);
	(*f->value)[len] = '\0';
	*f->len = len;
	return API_OK;
}

/* Wipes the string members of obj in place before json-c frees them. */
static void
wipe_members(struct json_object *obj)
{
	struct json_object	*member;
	const char		*s;

	json_object_object_foreach(obj, key, val) {
		(void)key;
		member = val;
		if (member != NULL && json_object_is_type(member, json_type_string)) {
			s = json_object_get_string(member);
			OPENSSL_cleanse((void *)(uintptr_t)s,
			    (size_t)json_object_get_string_len(member));
		}
	}
}

/* Wipes and frees what the fields hold and zeroes them. */
static void
free_fields(const struct request_field *fields, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		secure_free(*fields[i].value, *fields[i].len);
		*fields[i].value = NULL;
		*fields[i].len = 0;
	}
}


enum api_error
request_parse_fields(const char *body, size_t len,
    const struct request_field *fields, size_t nfields, struct outcome *why)
{
	struct json_tokener	*tok;
	struct json_object	*obj = NULL;
	enum json_tokener_error	 jerr;
	enum api_error		 rc = API_OK;
	size_t			 end, i, names;

	for (i = 0; i < nfields; i++) {
		*fields[i].value = NULL;
		*fields[i].len = 0;
	}
	if (len == 0)
		return refuse(why, API_INVALID_REQUEST, "The body is empty.");
	if (len > INT32_MAX)
		return refuse(why, API_PAYLOAD_TOO_LARGE, NULL);
	if (utf8_validate(body, len, NULL) == -1)
		return refuse(why, API_INVALID_REQUEST,
		    "The body is not valid UTF-8.");
	if (has_lone_surrogate(body, len))
		return refuse(why, API_INVALID_REQUEST,
		    "The body has an unpaired UTF-16 surrogate escape.");
	/* A fresh tokener for every body: json_tokener_reset() leaves some
	 * of its state (a pending surrogate half) to the next parse, so a
	 * kept one read one request's body differently after another's
	 * (fuzz_request found it). */
	if ((tok = json_tokener_new_ex(REQUEST_JSON_MAX_DEPTH)) == NULL)
		return refuse(why, API_SERVER_ERROR, NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* The tokener's buffer held the last string it read: wipe it. */
	if (tok->pb != NULL)
		OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);

	if (jerr == json_tokener_error_depth) {
		rc = refuse(why, API_INVALID_REQUEST, "The JSON is nested too deeply.");
		goto out;
	}
	if (jerr != json_tokener_success || obj == NULL) {
		rc = refuse(why, API_INVALID_REQUEST, "The body is not valid JSON.");
		goto out;
	}
	/* JSON whitespace only (RFC 8259): not strchr(), which also finds
	 * the terminating NUL, so a NUL byte would pass as whitespace. */
	for (; end < len; end++)
		if (body[end] != ' ' && body[end] != '\t' &&
		    body[end] != '\r' && body[end] != '\n') {
			rc = refuse(why, API_INVALID_REQUEST,
			    "The body has data after the JSON object.");
			goto out;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		rc = refuse(why, API_INVALID_REQUEST,
		    "The body is not a JSON object.");
		goto out;
	}
	if (scan_member_names(body, len, &names) == 1) {
		rc = refuse(why, API_INVALID_REQUEST,
		    "A member name contains a NUL character.");
		goto out;
	}
	if (names != (size_t)json_object_object_length(obj)) {
		rc = refuse(why, API_INVALID_REQUEST,
		    "A member name appears more than once.");
		goto out;
	}
	for (i = 0; i < nfields && rc == API_OK; i++)
		rc = take_string(obj, &fields[i], why);
out:
	if (obj != NULL) {
		if (json_object_is_type(obj, json_type_object))
			wipe_members(obj);
		json_object_put(obj);
	}
	json_tokener_free(tok);
	if (rc != API_OK)
		free_fields(fields, nfields);
	return rc;
}

enum api_error
request_read_fields(const struct io *io, size_t max_body,
    const struct request_field *fields, size_t nfields, struct outcome *why)
{
	enum api_error	 rc;
	char		*body = NULL;
	size_t		 length = 0, got = 0, i;
	ssize_t		 r;

	for (i = 0; i < nfields; i++) {
		*fields[i].value = NULL;
		*fields[i].len = 0;
	}
	rc = request_check_headers(io->param(io->ctx, "REQUEST_METHOD"),
	    io->param(io->ctx, "CONTENT_TYPE"),
	    io->param(io->ctx, "CONTENT_LENGTH"), max_body, &length, why);
	if (rc != API_OK)
		return rc;
	if ((body = malloc(length)) == NULL)
		return refuse(why, API_SERVER_ERROR, NULL);
	while (got < length) {
		r = io->read(io->ctx, body + got, length - got);
		if (r < 0) {
			rc = refuse(why, API_INVALID_REQUEST,
			    "The body could not be read.");
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got < length) {
		rc = refuse(why, API_INVALID_REQUEST,
		    "The body is shorter than Content-Length.");
		goto out;
	}
	/* Bytes past Content-Length are not read: CGI does not promise an
	 * end of input there, and they are not part of the request. */
	rc = request_parse_fields(body, length, fields, nfields, why);
out:
	secure_free(body, length);
	return rc;
}

enum api_error
request_take_fields(const struct request_source *src,
    const struct request_field *fields, size_t nfields, struct outcome *why)
{
	if (src->io != NULL)
		return request_read_fields(src->io, src->max_body, fields,
		    nfields, why);
	return request_parse_fields(src->body, src->len, fields, nfields, why);
}
