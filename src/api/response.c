/*
 * response.c: the only code that writes answers, and the one table that
 * maps an api_error to its HTTP status, error code and description.  An
 * error it does not know becomes 500 here, in one place.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/response.h"
#include "base/strbuf.h"
#include "password/rules.h"

struct status_row {
	int		 status;
	const char	*reason;
	const char	*code;
	const char	*description;
};

static const struct status_row status_table[API_ERROR_COUNT] = {
	[API_OK] = { 200, "OK", NULL, NULL },
	[API_INVALID_REQUEST] = { 400, "Bad Request", "invalid_request",
	    "The request body must be a JSON object with the string members "
	    "validation_code and password." },
	[API_INVALID_PASSWORD] = { 400, "Bad Request", "invalid_password",
	    "The password does not meet the password rules." },
	[API_INVALID_CODE] = { 400, "Bad Request", "invalid_validation_code",
	    "The validation code is unknown, expired or already used." },
	[API_METHOD_NOT_ALLOWED] = { 405, "Method Not Allowed",
	    "method_not_allowed", "Only POST is allowed here." },
	[API_PAYLOAD_TOO_LARGE] = { 413, "Payload Too Large",
	    "payload_too_large", "The request body is too large." },
	[API_UNSUPPORTED_MEDIA_TYPE] = { 415, "Unsupported Media Type",
	    "unsupported_media_type",
	    "The request body must be application/json in UTF-8." },
	[API_LENGTH_REQUIRED] = { 411, "Length Required", "length_required",
	    "The request must declare its Content-Length." },
	[API_TOO_MANY_REQUESTS] = { 429, "Too Many Requests",
	    "too_many_requests", "Too many attempts; try again later." },
	[API_SERVER_ERROR] = { 500, "Internal Server Error", "server_error",
	    "The server could not complete the request." },
	[API_UNAVAILABLE] = { 503, "Service Unavailable",
	    "temporarily_unavailable",
	    "The service is temporarily unavailable; try again later." },
	[API_INVALID_EMAIL] = { 400, "Bad Request", "invalid_email",
	    "The member email is not an e-mail address we accept." },
	[API_NOT_FOUND] = { 404, "Not Found", "not_found",
	    "There is no endpoint at this path." },
	[API_GET_ONLY] = { 405, "Method Not Allowed", "method_not_allowed",
	    "Only GET and HEAD are allowed here." },
	[API_TOKEN_MISSING] = { 401, "Unauthorized", "unauthorized",
	    "Send the access token in an Authorization: Bearer header." },
	[API_INVALID_TOKEN] = { 401, "Unauthorized", "invalid_token",
	    "The access token is malformed, unknown, expired or revoked." },
	[API_INVALID_GRANT] = { 400, "Bad Request", "invalid_grant",
	    "The refresh token is unknown, expired, revoked or already used." },
	[API_UNSUPPORTED_GRANT_TYPE] = { 400, "Bad Request",
	    "unsupported_grant_type",
	    "The only grant_type taken here is refresh_token." },
	[API_INVALID_CLIENT] = { 401, "Unauthorized", "invalid_client",
	    "Authenticate with HTTP Basic: the client id and its secret." },
};

/* The row for error, or the 500 row for anything out of the table. */
static const struct status_row *
row(enum api_error error)
{
	if ((unsigned)error >= API_ERROR_COUNT ||
	    status_table[error].status == 0)
		return &status_table[API_SERVER_ERROR];
	return &status_table[error];
}

int
api_error_status(enum api_error error)
{
	return row(error)->status;
}

const char *
api_error_code(enum api_error error)
{
	return row(error)->code;
}

const char *
api_error_description(enum api_error error)
{
	return row(error)->description;
}

/* An answer's head or body: a cut one is never sent (strbuf.h). */
#define ANSWER_MAX	2048

/* A JSON string literal; control characters, quotes and backslashes are
 * escaped, everything else (valid UTF-8 by construction) is copied, a run
 * of plain bytes at a time. */
static void
put_json_string(struct strbuf *o, const char *s)
{
	char		esc[8];
	const char	*run;

	strbuf_add(o, "\"", 1);
	while (*s != '\0') {
		for (run = s; *s != '\0' && *s != '"' && *s != '\\' &&
		    (unsigned char)*s >= 0x20; s++)
			continue;
		strbuf_add(o, run, (size_t)(s - run));
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			strbuf_add(o, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			strbuf_add(o, esc, 6);
		}
		s++;
	}
	strbuf_add(o, "\"", 1);
}

/* Writes the CGI header block and the body; wipes the buffers. */
static int
send_answer(const struct io *io, int status, const char *reason,
    const char *extra_header, struct strbuf *body)
{
	static const char	 fixed[] = "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "Pragma: no-cache\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Content-Length: ";
	char			 head_buf[ANSWER_MAX];
	struct strbuf		 head = STRBUF_OVER(head_buf);
	int			 rc = -1;

	if (body->cut)
		goto out;
	/* "Status: %d %s\r\n" ... "Content-Length: %zu\r\n", by hand: this
	 * runs for every answer, the cheapest refusals too. */
	strbuf_add(&head, "Status: ", 8);
	strbuf_uint(&head, status < 0 ? 0 : (unsigned long long)status, 1);
	strbuf_add(&head, " ", 1);
	strbuf_str(&head, reason);
	strbuf_add(&head, "\r\n", 2);
	strbuf_add(&head, fixed, sizeof(fixed) - 1);
	strbuf_uint(&head, body->len, 1);
	strbuf_add(&head, "\r\n", 2);
	if (extra_header != NULL)
		strbuf_str(&head, extra_header);
	if (io->headers != NULL)
		strbuf_str(&head, io->headers);
	strbuf_str(&head, "\r\n");
	if (head.cut)
		goto out;
	if (io->write(io->ctx, head.p, head.len) == -1 ||
	    io->write(io->ctx, body->p, body->len) == -1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(body->p, body->len);
	return rc;
}

int
respond_token(const struct io *io, const struct issued_token *token,
    const struct config *cfg)
{
	char		body_buf[ANSWER_MAX], num[32];
	struct strbuf	body = STRBUF_OVER(body_buf);

	strbuf_str(&body, "{\"token\":{\"access_token\":");
	put_json_string(&body, token->access_token);
	snprintf(num, sizeof(num), ",\"expires_in\":%ld", token->expires_in);
	strbuf_str(&body, num);
	strbuf_str(&body, ",\"token_type\":\"Bearer\",\"refresh_token\":");
	put_json_string(&body, token->refresh_token);
	strbuf_str(&body, ",\"client_id\":");
	put_json_string(&body, token->client_id != NULL ? token->client_id :
	    cfg->client_id);
	strbuf_str(&body, ",\"scope\":");
	put_json_string(&body, token->scope != NULL ? token->scope : cfg->scope);
	strbuf_str(&body, "}}\n");
	return send_answer(io, 200, "OK", NULL, &body);
}

int
respond_error(const struct io *io, const struct outcome *why,
    long retry_after)
{
	const struct status_row	*r = row(why->error);
	char			 body_buf[ANSWER_MAX];
	struct strbuf		 body = STRBUF_OVER(body_buf);
	char			 header[64];
	const char		*extra = NULL, *sep = "";
	unsigned		 bit;

	strbuf_str(&body, "{\"error\":");
	put_json_string(&body, r->code);
	strbuf_str(&body, ",\"error_description\":");
	put_json_string(&body, why->detail != NULL && r->status != 500 ?
	    why->detail : r->description);
	if (why->error == API_INVALID_PASSWORD) {
		strbuf_str(&body, ",\"violations\":[");
		for (bit = 1; bit <= RULE_ALL; bit <<= 1) {
			if ((why->violations & bit) == 0)
				continue;
			strbuf_str(&body, sep);
			put_json_string(&body, rule_name(bit));
			sep = ",";
		}
		strbuf_str(&body, "]");
	}
	strbuf_str(&body, "}\n");

	if (why->error == API_GET_ONLY)
		extra = "Allow: GET, HEAD\r\n";
	else if (why->error == API_TOKEN_MISSING)
		extra = "WWW-Authenticate: Bearer realm=\"account-reset\"\r\n";
	else if (why->error == API_INVALID_TOKEN)
		extra = "WWW-Authenticate: Bearer realm=\"account-reset\", "
		    "error=\"invalid_token\"\r\n";
	else if (why->error == API_INVALID_CLIENT)
		extra = "WWW-Authenticate: Basic realm=\"account-reset "
		    "introspection\"\r\n";
	else if (r->status == 405)
		extra = "Allow: POST\r\n";
	else if (r->status == 503 || r->status == 429) {
		snprintf(header, sizeof(header), "Retry-After: %ld\r\n",
		    why->retry_after > 0 ? why->retry_after : retry_after);
		extra = header;
	}
	return send_answer(io, r->status, r->reason, extra, &body);
}

int
respond_json(const struct io *io, int status, const char *json)
{
	char		body_buf[ANSWER_MAX];
	struct strbuf	body = STRBUF_OVER(body_buf);

	strbuf_str(&body, json);
	return send_answer(io, status, status == 202 ? "Accepted" : "OK",
	    NULL, &body);
}

int
respond_preflight(const struct io *io)
{
	char		body_buf[1];
	struct strbuf	body = STRBUF_OVER(body_buf);

	return send_answer(io, 204, "No Content", NULL, &body);
}

/* True when s can go into a header line as it is: printable ASCII (the
 * database's client_id and scope are utf8mb4; a site could store any). */
int
respond_header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
respond_authorized(const struct io *io, unsigned long long user_id,
    const char *client_id, const char *scope, int authorizer)
{
	char		 head_buf[ANSWER_MAX];
	struct strbuf	 head = STRBUF_OVER(head_buf);
	const char	*user_h, *scope_h, *client_h;

	if (!respond_header_safe(client_id) || !respond_header_safe(scope))
		return -1;
	/* nginx's auth_request reads X-* headers of the subrequest's answer
	 * (auth_request_set $x $upstream_http_x_user_id); Apache's
	 * mod_authnz_fcgi moves Variable-NAME headers into the request's
	 * environment as NAME. */
	user_h = authorizer ? "Variable-USER_ID: " : "X-User-Id: ";
	scope_h = authorizer ? "Variable-SCOPE: " : "X-Scope: ";
	client_h = authorizer ? "Variable-CLIENT_ID: " : "X-Client-Id: ";
	strbuf_str(&head, "Status: 200 OK\r\nCache-Control: no-store\r\n");
	strbuf_str(&head, user_h);
	strbuf_uint(&head, user_id, 1);
	strbuf_str(&head, "\r\n");
	strbuf_str(&head, scope_h);
	strbuf_str(&head, scope);
	strbuf_str(&head, "\r\n");
	strbuf_str(&head, client_h);
	strbuf_str(&head, client_id);
	strbuf_str(&head, "\r\nContent-Length: 0\r\n\r\n");
	if (head.cut)
		return -1;
	return io->write(io->ctx, head.p, head.len);
}

int
respond_introspection(const struct io *io, int active,
    unsigned long long user_id, const char *client_id, const char *scope,
    long long exp)
{
	char		body_buf[ANSWER_MAX], num[64];
	struct strbuf	body = STRBUF_OVER(body_buf);

	if (!active) {
		strbuf_str(&body, "{\"active\":false}\n");
		return send_answer(io, 200, "OK", NULL, &body);
	}
	strbuf_str(&body, "{\"active\":true,\"scope\":");
	put_json_string(&body, scope);
	strbuf_str(&body, ",\"client_id\":");
	put_json_string(&body, client_id);
	snprintf(num, sizeof(num), ",\"sub\":\"%llu\",\"exp\":%lld", user_id,
	    exp);
	strbuf_str(&body, num);
	strbuf_str(&body, ",\"token_type\":\"Bearer\"}\n");
	return send_answer(io, 200, "OK", NULL, &body);
}

int
respond_revoked(const struct io *io)
{
	return respond_json(io, 200, "{}\n");
}
