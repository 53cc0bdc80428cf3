/*
 * fuzz_request.c: the whole request check, as the responder runs it but
 * without a database.  The CGI variables and the body come from the
 * fuzzer through a fake struct io; reset_take() checks them; what it
 * accepts goes through the password rules; and the answer is written
 * into a buffer by response.c and read back.
 *
 * Input layout, so that every byte string is some request:
 *
 *   byte 0   flags:
 *              0x01  no REQUEST_METHOD     0x02  no CONTENT_TYPE
 *              0x04  no CONTENT_LENGTH     0x08  CONTENT_LENGTH is the
 *                                                body's real length
 *              0x30  how the body arrives: 0x00 in one read, 0x10 one
 *                    byte a read, 0x20 a read error halfway, 0x30 the
 *                    end of input halfway
 *              0x40  max_body_bytes is 256 (the least allowed), not 8192
 *              0x80  the answer cannot be written
 *   then     METHOD '\n' CONTENT_TYPE '\n' CONTENT_LENGTH '\n' BODY
 *
 * A field cut off by the end of the input is empty; a NUL byte ends a
 * CGI variable early, as it would in an environment.
 *
 * What must hold, whatever the input (abort() otherwise):
 *   - the refusal is one the request check may give, and a 4xx in the
 *     status table; a request refused on its headers reads no body, and no
 *     request reads past its Content-Length;
 *   - API_OK means POST, a length within the limit, a body that is one
 *     JSON object with only JSON whitespace around it, and both members
 *     present as valid UTF-8 with the lengths stored, equal to what json-c
 *     itself finds in the body; a refusal leaves nothing allocated;
 *   - the answer written (for a request that passes, the one a database
 *     could give, see database_answer) has the status of the table, the
 *     headers its status calls for (Allow on 405, Retry-After on 429 and
 *     503 with the right number), a Content-Length equal to its body, and
 *     a JSON body whose error code is the table's, with a violations list
 *     exactly when the password broke a rule, naming the rules in their
 *     order; a 500 answer does not carry its detail.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "conf/config.h"
#include "fuzz.h"
#include "api/request.h"
#include "api/reset.h"
#include "api/response.h"
#include "password/rules.h"
#include "base/utf8.h"

#define F_NO_METHOD	0x01
#define F_NO_TYPE	0x02
#define F_NO_LENGTH	0x04
#define F_REAL_LENGTH	0x08
#define F_READ_MODE	0x30
#define  READ_WHOLE	0x00
#define  READ_BYTES	0x10
#define  READ_ERROR	0x20
#define  READ_SHORT	0x30
#define F_SMALL_LIMIT	0x40
#define F_WRITE_FAILS	0x80

#define FIELD_MAX	256	/* longer CGI variables are cut */
#define ANSWER_MAX	8192

struct fake {
	unsigned	 flags;
	char		 method[FIELD_MAX + 1];
	char		 type[FIELD_MAX + 1];
	char		 length[FIELD_MAX + 1];
	const char	*body;
	size_t		 body_len;
	size_t		 pos;		/* body bytes handed out */
	size_t		 reads;		/* read calls made */
	size_t		 declared;	/* CONTENT_LENGTH as a number */
	int		 declared_ok;	/* ...when it is one */
	char		 answer[ANSWER_MAX + 1];
	size_t		 answer_len;
	size_t		 writes;
};

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake	*f = ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return f->flags & F_NO_METHOD ? NULL : f->method;
	if (strcmp(name, "CONTENT_TYPE") == 0)
		return f->flags & F_NO_TYPE ? NULL : f->type;
	if (strcmp(name, "CONTENT_LENGTH") == 0)
		return f->flags & F_NO_LENGTH ? NULL : f->length;
	return NULL;
}

static ssize_t
fake_read(void *ctx, char *buf, size_t n)
{
	struct fake	*f = ctx;
	size_t		 avail = f->body_len - f->pos, half = f->body_len / 2;

	f->reads++;
	FUZZ_CHECK(n > 0, "request_read never asks for 0 bytes");
	FUZZ_CHECK(f->declared_ok && f->pos + n <= f->declared,
	    "no read reaches past Content-Length");
	switch (f->flags & F_READ_MODE) {
	case READ_BYTES:
		avail = avail > 0 ? 1 : 0;
		break;
	case READ_ERROR:
		if (f->pos >= half)
			return -1;
		avail = half - f->pos;
		break;
	case READ_SHORT:
		avail = f->pos >= half ? 0 : half - f->pos;
		break;
	}
	if (avail > n)
		avail = n;
	memcpy(buf, f->body + f->pos, avail);
	f->pos += avail;
	return (ssize_t)avail;
}

static int
fake_write(void *ctx, const char *buf, size_t n)
{
	struct fake	*f = ctx;

	f->writes++;
	if (f->flags & F_WRITE_FAILS)
		return -1;
	FUZZ_CHECK(n <= ANSWER_MAX - f->answer_len, "an answer fits 8 KiB");
	memcpy(f->answer + f->answer_len, buf, n);
	f->answer_len += n;
	f->answer[f->answer_len] = '\0';
	return 0;
}

/* Copies the next '\n'-terminated field (cut at FIELD_MAX) into out. */
static void
take_field(const uint8_t **p, const uint8_t *end, char *out)
{
	const uint8_t	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = (size_t)((nl != NULL ? nl : end) - *p);

	memcpy(out, *p, n < FIELD_MAX ? n : FIELD_MAX);
	out[n < FIELD_MAX ? n : FIELD_MAX] = '\0';
	*p = nl != NULL ? nl + 1 : end;
}

/* CONTENT_LENGTH as the spec reads it: digits only, saturating. */
static int
declared_length(const char *s, size_t *out)
{
	size_t	v = 0, d;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		d = (size_t)(*s - '0');
		v = v > (SIZE_MAX - d) / 10 ? SIZE_MAX : v * 10 + d;
	}
	*out = v;
	return 1;
}

/* The JSON string member name of obj equals the len bytes at s. */
static int
member_is(struct json_object *obj, const char *name, const char *s,
    size_t len)
{
	struct json_object	*m;

	return json_object_object_get_ex(obj, name, &m) &&
	    json_object_is_type(m, json_type_string) &&
	    (size_t)json_object_get_string_len(m) == len &&
	    memcmp(json_object_get_string(m), s, len) == 0;
}

/* JSON's whitespace (RFC 8259 section 2): nothing else, not NUL. */
static int
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* What API_OK promises about the request it filled. */
static void
check_accepted(const struct fake *f, const struct reset_request *req,
    size_t max_body)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 i, j;

	FUZZ_CHECK(!(f->flags & F_NO_METHOD) && strcmp(f->method, "POST") == 0,
	    "only POST is accepted");
	FUZZ_CHECK(!(f->flags & F_NO_TYPE), "a request without a type is refused");
	FUZZ_CHECK(f->declared_ok && f->declared > 0 && f->declared <= max_body &&
	    f->pos == f->declared, "exactly the declared body, within the limit");
	FUZZ_CHECK(req->validation_code != NULL && req->password != NULL,
	    "both members are there");
	FUZZ_CHECK(req->validation_code[req->validation_code_len] == '\0' &&
	    req->password[req->password_len] == '\0',
	    "the copies are NUL-terminated at their stored lengths");
	FUZZ_CHECK(utf8_validate(req->validation_code, req->validation_code_len,
	    NULL) == 0 && utf8_validate(req->password, req->password_len,
	    NULL) == 0, "both members are valid UTF-8");
	/* RFC 8259: the object, with only space, tab, CR and LF around it. */
	for (i = 0; i < f->declared && is_json_space(f->body[i]); i++)
		continue;
	for (j = f->declared; j > i && is_json_space(f->body[j - 1]); j--)
		continue;
	FUZZ_CHECK(j - i >= 2 && f->body[i] == '{' && f->body[j - 1] == '}',
	    "an accepted body is one object and JSON whitespace around it");
	/* json-c, without the request's strictness, reads the same. */
	FUZZ_CHECK((tok = json_tokener_new()) != NULL, "json-c has memory");
	obj = json_tokener_parse_ex(tok, f->body, (int)f->declared);
	FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object),
	    "json-c finds an object in an accepted body");
	FUZZ_CHECK(member_is(obj, "validation_code", req->validation_code,
	    req->validation_code_len) && member_is(obj, "password",
	    req->password, req->password_len),
	    "the members are the strings json-c finds in the body");
	json_object_put(obj);
	json_tokener_free(tok);
}

/* What a refusal promises: it is the one returned, it holds nothing,
 * and its detail (a static string) is none of the client's bytes. */
static void
check_refused(const struct fake *f, const struct reset_request *req,
    const struct outcome *why, enum api_error rc, const uint8_t *data,
    size_t size)
{
	uintptr_t	d = (uintptr_t)why->detail;

	FUZZ_CHECK(why->error == rc && why->violations == 0,
	    "the refusal is the one returned, with no violations");
	FUZZ_CHECK(req->password == NULL && req->validation_code == NULL,
	    "a refused request holds nothing");
	FUZZ_CHECK(why->detail == NULL ||
	    ((d < (uintptr_t)data || d >= (uintptr_t)data + size) &&
	    (d < (uintptr_t)f->body || d > (uintptr_t)f->body + f->body_len)),
	    "a detail is never the client's own text");
}

/* The header line "name: value" is in the header block. */
static int
has_header(const char *head, const char *line)
{
	const char	*h = strstr(head, line);

	return h != NULL && (h == head || h[-1] == '\n');
}

/*
 * There is no database here: what it would answer for a request that
 * passed every check is picked from the request itself, so that every
 * answer is written and read back: the token, an unknown code, too many
 * attempts (Retry-After from the outcome, or the configured one when it
 * has none), the database away, and a server error whose detail must not
 * reach the client.
 */
static void
database_answer(struct outcome *why, struct issued_token *token,
    const struct config *cfg, const struct reset_request *req)
{
	switch (req->password_len % 5) {
	case 0:
		memset(token->access_token, 'a', TOKEN_CHARS);
		memset(token->refresh_token, 'r', TOKEN_CHARS);
		token->expires_in = cfg->access_token_lifetime;
		why->error = API_OK;
		break;
	case 1:
		why->error = API_INVALID_CODE;
		break;
	case 2:
		why->error = API_TOO_MANY_REQUESTS;
		why->retry_after = (long)(req->validation_code_len % 4) * 300;
		break;
	case 3:
		why->error = API_UNAVAILABLE;
		break;
	default:
		why->error = API_SERVER_ERROR;
		why->detail = "a detail for the log only";
		break;
	}
}

/* Reads the answer back: status line, headers, JSON body. */
static void
check_answer(const struct fake *f, const struct outcome *why, int status,
    long retry_after)
{
	struct json_tokener	*tok;
	struct json_object	*obj, *m, *v;
	const char		*end, *body;
	char			 line[64];
	size_t			 body_len, i, n;
	unsigned		 bit;

	end = strstr(f->answer, "\r\n\r\n");
	FUZZ_CHECK(end != NULL, "the header block ends with an empty line");
	body = end + 4;
	body_len = f->answer_len - (size_t)(body - f->answer);
	snprintf(line, sizeof(line), "Status: %d ", status);
	FUZZ_CHECK(strncmp(f->answer, line, strlen(line)) == 0,
	    "the status is the table's");
	snprintf(line, sizeof(line), "\r\nContent-Length: %zu\r\n", body_len);
	FUZZ_CHECK(strstr(f->answer, line) != NULL &&
	    strstr(f->answer, line) < end, "Content-Length is the body's");
	FUZZ_CHECK(has_header(f->answer, "Content-Type: application/json\r\n") &&
	    has_header(f->answer, "Cache-Control: no-store\r\n"),
	    "a JSON answer that is not cached");
	FUZZ_CHECK((strstr(f->answer, "\r\nAllow: POST\r\n") != NULL) ==
	    (status == 405), "Allow: POST on 405 and only there");
	FUZZ_CHECK((strstr(f->answer, "\r\nRetry-After: ") != NULL) ==
	    (status == 429 || status == 503), "Retry-After on 429 and 503 only");
	snprintf(line, sizeof(line), "\r\nRetry-After: %ld\r\n", retry_after);
	FUZZ_CHECK((status != 429 && status != 503) ||
	    (strstr(f->answer, line) != NULL && strstr(f->answer, line) < end),
	    "Retry-After is the outcome's, else the configured one");
	FUZZ_CHECK(strstr(f->answer, "a detail for the log only") == NULL,
	    "a 500 answer keeps its detail to the log");

	FUZZ_CHECK(utf8_validate(body, body_len, NULL) == 0,
	    "the body is UTF-8");
	FUZZ_CHECK((tok = json_tokener_new()) != NULL, "json-c has memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)body_len);
	FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object),
	    "the body is one JSON object");
	for (i = json_tokener_get_parse_end(tok); i < body_len; i++)
		FUZZ_CHECK(body[i] == '\n', "nothing after it but a newline");
	json_tokener_free(tok);

	if (status == 200) {
		FUZZ_CHECK(json_object_object_get_ex(obj, "token", &m),
		    "a 200 answer holds the token");
		json_object_put(obj);
		return;
	}
	FUZZ_CHECK(json_object_object_get_ex(obj, "error", &m) &&
	    strcmp(json_object_get_string(m), api_error_code(why->error)) == 0,
	    "the error code is the table's");
	FUZZ_CHECK(json_object_object_get_ex(obj, "error_description", &m) &&
	    json_object_get_string_len(m) > 0, "a description for people");
	FUZZ_CHECK(json_object_object_get_ex(obj, "violations", &m) ==
	    (why->error == API_INVALID_PASSWORD),
	    "violations exactly for invalid_password");
	if (why->error == API_INVALID_PASSWORD) {
		FUZZ_CHECK(json_object_is_type(m, json_type_array),
		    "violations is a list");
		n = json_object_array_length(m);
		FUZZ_CHECK(n > 0, "at least one rule is named");
		i = 0;
		for (bit = 1; bit <= RULE_ALL; bit <<= 1) {
			if (!(why->violations & bit))
				continue;
			FUZZ_CHECK(i < n, "every broken rule is named");
			v = json_object_array_get_idx(m, i++);
			FUZZ_CHECK(strcmp(json_object_get_string(v),
			    rule_name(bit)) == 0, "rules named in their order");
		}
		FUZZ_CHECK(i == n, "no rule is named that was not broken");
	}
	json_object_put(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake	 f;
	struct io		 io = { fake_param, fake_read, fake_write, &f, NULL };
	struct reset_request	 req;
	struct request_source	 src;
	struct outcome		 why = { .error = API_OK };
	struct issued_token	 token;
	struct config		 cfg;
	const uint8_t		*p, *end = data + size;
	char			*body;
	size_t			 max_body;
	enum api_error		 rc;
	int			 status, wrote;

	if (size == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.flags = data[0];
	p = data + 1;
	take_field(&p, end, f.method);
	take_field(&p, end, f.type);
	take_field(&p, end, f.length);
	/* The body in an allocation of its own, so ASan sees an overread. */
	f.body_len = (size_t)(end - p);
	if ((body = malloc(f.body_len + 1)) == NULL)
		return 0;
	memcpy(body, p, f.body_len);
	f.body = body;
	if (f.flags & F_REAL_LENGTH)
		snprintf(f.length, sizeof(f.length), "%zu", f.body_len);
	f.declared_ok = !(f.flags & F_NO_LENGTH) &&
	    declared_length(f.length, &f.declared);
	max_body = f.flags & F_SMALL_LIMIT ? 256 : 8192;

	memset(&token, 0, sizeof(token));
	memset(&req, 0xa5, sizeof(req));
	src = (struct request_source)REQUEST_FROM_IO(&io, max_body);
	rc = reset_take(&src, &req, &why);

	switch (rc) {
	case API_OK:
		check_accepted(&f, &req, max_body);
		break;
	case API_METHOD_NOT_ALLOWED:
	case API_UNSUPPORTED_MEDIA_TYPE:
	case API_LENGTH_REQUIRED:
	case API_PAYLOAD_TOO_LARGE:
		FUZZ_CHECK(f.reads == 0, "a request refused on its headers "
		    "has no body read");
		check_refused(&f, &req, &why, rc, data, size);
		break;
	case API_INVALID_REQUEST:
		check_refused(&f, &req, &why, rc, data, size);
		break;
	default:
		/* Nothing fails to allocate here: 500 would be a bug, and
		 * the database answers (429, 503, invalid code) come later. */
		FUZZ_CHECK(0, "request_read gives only request refusals");
	}
	status = api_error_status(rc);
	FUZZ_CHECK(rc == API_OK ? status == 200 : status >= 400 && status < 500,
	    "request refusals are 4xx in the table");

	config_defaults(&cfg);
	if (rc == API_OK) {
		why.violations = password_violations(req.password,
		    req.password_len);
		if (why.violations != 0)
			why.error = API_INVALID_PASSWORD;
		else
			database_answer(&why, &token, &cfg, &req);
		reset_free(&req);
		FUZZ_CHECK(req.password == NULL && req.validation_code == NULL,
		    "reset_free leaves a zeroed request");
	}
	if (why.error == API_OK) {
		status = 200;
		wrote = respond_token(&io, &token, &cfg);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(&io, &why, cfg.retry_after);
	}
	if (f.flags & F_WRITE_FAILS)
		FUZZ_CHECK(wrote == -1, "a failed write is reported");
	else {
		FUZZ_CHECK(wrote == 0 && f.writes > 0, "the answer is written");
		check_answer(&f, &why, status, why.retry_after > 0 ?
		    why.retry_after : cfg.retry_after);
	}
	free(body);
	return 0;
}
