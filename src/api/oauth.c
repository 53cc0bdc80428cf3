/*
 * oauth.c: what the token endpoints share (see oauth.h).
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "api/oauth.h"
#include "api/request.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/secure.h"
#include "db/db_attempts.h"
#include "db/db_tokens.h"

static enum api_error
refuse(struct outcome *why, enum api_error error, const char *detail)
{
	why->error = error;
	why->detail = detail;
	return error;
}

/* application/x-www-form-urlencoded, any case, parameters allowed. */
static int
is_form_media_type(const char *ct)
{
	static const char	type[] = "application/x-www-form-urlencoded";
	size_t			n = sizeof(type) - 1;

	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

enum api_error
oauth_read_form(const struct io *io, size_t max_body, struct form_field *fields,
    size_t nfields, struct outcome *why)
{
	const char	*method = io->param(io->ctx, "REQUEST_METHOD");
	const char	*ct = io->param(io->ctx, "CONTENT_TYPE");
	const char	*cl = io->param(io->ctx, "CONTENT_LENGTH");
	char		*body = NULL;
	size_t		 length = 0, got = 0;
	ssize_t		 r;
	enum api_error	 rc = API_OK;

	form_wipe(fields, nfields);
	if (method == NULL || strcmp(method, "POST") != 0)
		return refuse(why, API_METHOD_NOT_ALLOWED, NULL);
	if (ct == NULL || !is_form_media_type(ct))
		return refuse(why, API_UNSUPPORTED_MEDIA_TYPE, "The request "
		    "body must be application/x-www-form-urlencoded.");
	if (cl == NULL || *cl == '\0')
		return refuse(why, API_LENGTH_REQUIRED, NULL);
	if (request_content_length(cl, &length) == -1)
		return refuse(why, API_INVALID_REQUEST,
		    "Content-Length is not a valid length.");
	if (length > max_body)
		return refuse(why, API_PAYLOAD_TOO_LARGE, NULL);
	if (length == 0)
		return refuse(why, API_INVALID_REQUEST, "The body is empty.");
	if ((body = malloc(length)) == NULL)
		return refuse(why, API_SERVER_ERROR, NULL);
	while (got < length) {
		if ((r = io->read(io->ctx, body + got, length - got)) <= 0)
			break;
		got += (size_t)r;
	}
	if (got < length)
		rc = refuse(why, API_INVALID_REQUEST,
		    "The body is shorter than Content-Length.");
	else switch (form_parse(body, length, fields, nfields)) {
	case FORM_OK:
		break;
	case FORM_REPEATED:
		rc = refuse(why, API_INVALID_REQUEST,
		    "A parameter is given more than once.");
		break;
	case FORM_TOO_LONG:
		rc = refuse(why, API_INVALID_REQUEST,
		    "A parameter is longer than any valid value.");
		break;
	default:
		rc = refuse(why, API_INVALID_REQUEST,
		    "The body is not valid form-urlencoded text.");
		break;
	}
	secure_free(body, length);
	return rc;
}

/* RFC 6750 2.1's b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
 * "/", then any number of "=". */
static int
is_b64token(const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
	    (s[i] >= '0' && s[i] <= '9') || strchr("-._~+/", s[i]) != NULL))
		i++;
	if (i == 0)
		return 0;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

int
oauth_bearer(const struct io *io, char *out, size_t *len)
{
	const char	*h = io->param(io->ctx, "HTTP_AUTHORIZATION");
	const char	*tok;
	size_t		 n;

	*len = 0;
	out[0] = '\0';
	if (h == NULL || *h == '\0')
		return -1;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return -2;
	for (tok = h + 7; *tok == ' '; tok++)
		continue;
	n = strlen(tok);
	while (n > 0 && tok[n - 1] == ' ')
		n--;
	if (n == 0 || n > OAUTH_TOKEN_MAX || !is_b64token(tok, n))
		return -2;
	memcpy(out, tok, n);
	out[n] = '\0';
	*len = n;
	return 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (padding optional) of s into out (cap bytes, NUL
 * added); the length, or -1. */
static long
b64decode(const char *s, char *out, size_t cap)
{
	size_t		n = strlen(s), i, o = 0;
	unsigned	acc = 0;
	int		bits = 0, v;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if ((v = b64val(s[i])) < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return (long)o;
}

const struct introspection_client *
oauth_basic_client(const struct io *io,
    const struct introspection_clients *clients)
{
	const char				*h;
	const struct introspection_client	*c = NULL;
	unsigned char				 digest[SHA256_DIGEST_LENGTH];
	char					 plain[512], *colon;
	long					 n;

	h = io->param(io->ctx, "HTTP_AUTHORIZATION");
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0 || clients->n == 0)
		return NULL;
	for (h += 6; *h == ' '; h++)
		continue;
	if (strlen(h) > 4 * sizeof(plain) / 3 ||
	    (n = b64decode(h, plain, sizeof(plain))) < 0)
		goto out;
	/* Client ids never hold ':', so the first one ends the id. */
	if ((colon = memchr(plain, ':', (size_t)n)) == NULL ||
	    strlen(plain) != (size_t)n)
		goto out;
	*colon = '\0';
	SHA256((const unsigned char *)colon + 1, strlen(colon + 1), digest);
	c = clients_match(clients, plain, digest);
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(digest, sizeof(digest));
	return c;
}

/* The counters' key of a client's failed token secrets: apart from its
 * failed validation codes, which have a limit of their own. */
static void
token_key(const char *client, char out[CLIENT_KEY_MAX])
{
	size_t	n = strlen(client);

	if (n > CLIENT_KEY_MAX - 3)
		n = CLIENT_KEY_MAX - 3;
	memcpy(out, "t:", 2);
	memcpy(out + 2, client, n);
	out[n + 2] = '\0';
}

enum api_error
oauth_attempt_check(struct endpoint *ep, unsigned long long *window_start)
{
	const struct config	*cfg = ep->ctx->cfg;
	char			 key[CLIENT_KEY_MAX];
	unsigned long long	 failures = 0;
	long			 left = 0;
	enum db_result		 rc;

	*window_start = 0;
	endpoint_warn_no_client(ep, cfg->token_attempt_limit > 0,
	    "token attempt limits do not apply");
	if (cfg->token_attempt_limit == 0 || ep->client[0] == '\0')
		return API_OK;
	token_key(ep->client, key);
	rc = db_token_attempts(ep->ctx->db, key, cfg->attempt_window,
	    &failures, window_start, &left);
	if (rc != DB_OK)
		return ep->why.error = endpoint_db_refusal(ep, rc,
		    API_SERVER_ERROR, "token attempt count");
	if (failures >= (unsigned long long)cfg->token_attempt_limit) {
		metrics_attempt_limited();
		log_msg("request id=%s client %s is over the token attempt "
		    "limit (%d failures in %ld s)", ep->id, ep->client,
		    cfg->token_attempt_limit, cfg->attempt_window);
		ep->why.retry_after = left;
		return ep->why.error = API_TOO_MANY_REQUESTS;
	}
	return API_OK;
}

void
oauth_attempt_failed(struct endpoint *ep, unsigned long long window_start)
{
	char	key[CLIENT_KEY_MAX];

	if (ep->ctx->cfg->token_attempt_limit == 0 || ep->client[0] == '\0' ||
	    window_start == 0)
		return;
	token_key(ep->client, key);
	if (db_attempt_failed(ep->ctx->db, key, window_start) != DB_OK)
		log_msg("request id=%s counting a failed token attempt: %s",
		    ep->id, db_last_error(ep->ctx->db));
}

enum api_error
oauth_token_digest(struct endpoint *ep, const struct form_field *f,
    const char *token, char digest[SHA256_HEX_CHARS + 1])
{
	if (!f->seen || f->len == 0) {
		ep->why.detail = "The parameter token is missing.";
		return ep->why.error = API_INVALID_REQUEST;
	}
	sha256_hex(token, f->len, digest);
	return API_OK;
}
