/*
 * mailmsg.c: templates and messages (see mailmsg.h).  A growing buffer
 * that remembers running out rather than hiding it, as response.c does.
 */
#include "ac-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/email.h"
#include "mailer/mailenc.h"
#include "mailer/mailmsg.h"
#include "base/strbuf.h"
#include "password/rules.h"
#include "base/secure.h"
#include "base/utf8.h"


static const struct {
	const char	*name;
	unsigned	 bit;
} placeholders[] = {
	{ "{{code}}", MAILMSG_USES_CODE },
	{ "{{reset_link}}", MAILMSG_USES_LINK },
	{ "{{minutes}}", MAILMSG_USES_MINUTES },
	{ "{{time_utc}}", MAILMSG_USES_TIME_UTC },
	{ "{{time_local}}", MAILMSG_USES_TIME_LOCAL },
	{ "{{network}}", MAILMSG_USES_NETWORK },
	{ "{{support_url}}", MAILMSG_USES_SUPPORT },
	{ "{{forgot_url}}", MAILMSG_USES_FORGOT },
};

#define NPLACEHOLDERS	(sizeof(placeholders) / sizeof(placeholders[0]))

static int scan_placeholders(const char *body, unsigned *uses, char *err,
    size_t errlen);

/* 1 when the len bytes at s hold no control character but, where
 * allowed, LF and tab (C0, DEL; C1 are caught as code points). */
static int
clean_text(const char *s, size_t len, int newlines)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;

	if (utf8_validate(s, len, NULL) == -1)
		return 0;
	for (i = 0; i < len; i++) {
		if (u[i] == '\n' && newlines)
			continue;
		if (u[i] == '\t' && newlines)
			continue;
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
		/* C1 controls: U+0080..U+009F, encoded C2 80..C2 9F. */
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

int
mailmsg_template_parse(const char *text, size_t len, struct mail_template *t,
    char *err, size_t errlen)
{
	const char	*nl, *body, *p, *end = text + len;
	size_t		 n, i, blen;

	memset(t, 0, sizeof(*t));
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;	/* a byte-order mark some editors write */
		len -= 3;
	}
	if (len < 9 || strncmp(text, "Subject:", 8) != 0) {
		snprintf(err, errlen, "the first line must be \"Subject: ...\"");
		return -1;
	}
	if ((nl = memchr(text, '\n', len)) == NULL) {
		snprintf(err, errlen, "no body after the subject line");
		return -1;
	}
	p = text + 8;
	while (p < nl && (*p == ' ' || *p == '\t'))
		p++;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0 || n > MAILMSG_SUBJECT_MAX) {
		snprintf(err, errlen, "the subject must be 1 to %d octets",
		    MAILMSG_SUBJECT_MAX);
		return -1;
	}
	if (!clean_text(p, n, 0)) {
		snprintf(err, errlen, "the subject is not UTF-8 without "
		    "control characters");
		return -1;
	}
	if (memmem(p, n, "{{", 2) != NULL) {
		snprintf(err, errlen, "the subject may not hold a placeholder "
		    "(the code never goes into a subject)");
		return -1;
	}
	memcpy(t->subject, p, n);
	t->subject[n] = '\0';
	/* An empty line, then the body. */
	body = nl + 1;
	if (body < end && *body == '\r')
		body++;
	if (body >= end || *body != '\n') {
		snprintf(err, errlen, "the subject line must be followed by "
		    "an empty line");
		return -1;
	}
	body++;
	blen = (size_t)(end - body);
	if (blen == 0 || blen > MAILMSG_BODY_MAX) {
		snprintf(err, errlen, "the body must be 1 to %d octets",
		    MAILMSG_BODY_MAX);
		return -1;
	}
	if ((t->body = malloc(blen + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* CRLF in the file becomes LF; the message gets CRLF later. */
	for (i = 0, n = 0; i < blen; i++)
		if (!(body[i] == '\r' && i + 1 < blen && body[i + 1] == '\n'))
			t->body[n++] = body[i];
	t->body[n] = '\0';
	t->body_len = n;
	if (!clean_text(t->body, t->body_len, 1)) {
		snprintf(err, errlen, "the body is not UTF-8 without control "
		    "characters (newline and tab allowed)");
		goto fail;
	}
	if (scan_placeholders(t->body, &t->uses, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	mailmsg_template_free(t);
	return -1;
}

void
mailmsg_template_free(struct mail_template *t)
{
	free(t->body);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

/* Case-insensitive search for needle in the len bytes at hay. */
static const char *
find_nocase(const char *hay, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i, k;

	for (i = 0; i + n <= len; i++) {
		for (k = 0; k < n; k++) {
			char	a = hay[i + k], b = needle[k];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (k == n)
			return hay + i;
	}
	return NULL;
}

/* The placeholders of a body: their MAILMSG_USES_* bits, or -1 with the
 * unknown one named in err. */
static int
scan_placeholders(const char *body, unsigned *uses, char *err, size_t errlen)
{
	const char	*p;
	size_t		 i;

	*uses = 0;
	for (p = body; (p = strstr(p, "{{")) != NULL; ) {
		for (i = 0; i < NPLACEHOLDERS; i++)
			if (strncmp(p, placeholders[i].name,
			    strlen(placeholders[i].name)) == 0)
				break;
		if (i == NPLACEHOLDERS) {
			snprintf(err, errlen, "unknown placeholder at \"%.20s\" "
			    "(known: {{code}}, {{reset_link}}, {{minutes}}, "
			    "{{time_utc}}, {{time_local}}, {{network}}, "
			    "{{support_url}}, {{forgot_url}})", p);
			return -1;
		}
		*uses |= placeholders[i].bit;
		p += strlen(placeholders[i].name);
	}
	return 0;
}

int
mailmsg_template_add_html(struct mail_template *t, const char *text,
    size_t len, char *err, size_t errlen)
{
	static const char *const remote[] = { "<script", "<link", "@import",
	    "<iframe", "<object", "<embed", "src=\"http", "src='http",
	    "src=http", "url(http", "url('http", "url(\"http", "srcset=" };
	size_t	i, n;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (len == 0 || len > MAILMSG_BODY_MAX) {
		snprintf(err, errlen, "the HTML must be 1 to %d octets",
		    MAILMSG_BODY_MAX);
		return -1;
	}
	for (i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if (find_nocase(text, len, remote[i]) != NULL) {
			snprintf(err, errlen, "the HTML holds \"%s\": no scripts "
			    "and nothing remote (inline styles, data: images)",
			    remote[i]);
			return -1;
		}
	free(t->html);
	if ((t->html = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0, n = 0; i < len; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			t->html[n++] = text[i];
	t->html[n] = '\0';
	t->html_len = n;
	if (!clean_text(t->html, t->html_len, 1)) {
		snprintf(err, errlen, "the HTML is not UTF-8 without control "
		    "characters (newline and tab allowed)");
		goto fail;
	}
	if (scan_placeholders(t->html, &t->html_uses, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	free(t->html);
	t->html = NULL;
	t->html_len = 0;
	t->html_uses = 0;
	return -1;
}

/* RFC 5322 section 3.3, in English whatever the locale. */
static void
format_date(time_t when, char out[40])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	tm;

	gmtime_r(&when, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The domain of an address for the Message-ID: its own when ASCII. */
static const char *
id_domain(const char *from)
{
	const char	*at = strrchr(from, '@');

	if (at == NULL || !email_is_ascii(at + 1, strlen(at + 1)))
		return "account-reset.invalid";
	return at + 1;
}

/* Header values we write must be one line of sane text. */
static int
header_safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL &&
	    clean_text(s, strlen(s), 0);
}

/* The value a placeholder stands for (NULL when missing). */
static const char *
placeholder_value(unsigned bit, const struct mail_values *v,
    const char *minutes)
{
	switch (bit) {
	case MAILMSG_USES_CODE:
		return v->code;
	case MAILMSG_USES_LINK:
		return v->reset_link;
	case MAILMSG_USES_MINUTES:
		return minutes;
	case MAILMSG_USES_TIME_UTC:
		return v->time_utc;
	case MAILMSG_USES_TIME_LOCAL:
		return v->time_local;
	case MAILMSG_USES_NETWORK:
		return v->network;
	case MAILMSG_USES_SUPPORT:
		return v->support_url;
	case MAILMSG_USES_FORGOT:
		return v->forgot_url;
	}
	return NULL;
}

#define TEXT_PART_HEADERS "Content-Type: text/plain; charset=UTF-8\r\n" \
	"Content-Transfer-Encoding: quoted-printable\r\n"

/* Appends s with the HTML specials escaped. */
static void
buf_html(struct textbuf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			textbuf_str(b, "&amp;");
			break;
		case '<':
			textbuf_str(b, "&lt;");
			break;
		case '>':
			textbuf_str(b, "&gt;");
			break;
		case '"':
			textbuf_str(b, "&quot;");
			break;
		case '\'':
			textbuf_str(b, "&#39;");
			break;
		default:
			textbuf_add(b, s, 1);
		}
}

/* body with its placeholders' values (HTML-escaped with html) into b;
 * -1 on a placeholder the parser would have refused. */
static int
fill(struct textbuf *b, const char *body, const struct mail_values *v,
    const char *minutes, int html)
{
	const char	*p, *next, *val;
	size_t		 i;

	for (p = body; *p != '\0'; p = next) {
		if ((next = strstr(p, "{{")) == NULL) {
			textbuf_str(b, p);
			break;
		}
		textbuf_add(b, p, (size_t)(next - p));
		for (i = 0; i < NPLACEHOLDERS; i++)
			if (strncmp(next, placeholders[i].name,
			    strlen(placeholders[i].name)) == 0)
				break;
		if (i == NPLACEHOLDERS)
			return -1;
		val = placeholder_value(placeholders[i].bit, v, minutes);
		if (html)
			buf_html(b, val);
		else
			textbuf_str(b, val);
		next += strlen(placeholders[i].name);
	}
	return 0;
}

/* One part of a multipart message: the boundary line, its headers (with
 * the empty line) and its text quoted-printable. */
static void
add_part(struct textbuf *msg, const char *token, const char *headers,
    const struct textbuf *text)
{
	textbuf_str(msg, "\r\n--=_");
	textbuf_str(msg, token);
	textbuf_str(msg, "\r\n");
	textbuf_str(msg, headers);
	if (strstr(headers, "\r\n\r\n") == NULL)
		textbuf_str(msg, "\r\n");
	mailenc_quoted_printable(msg, text->p != NULL ? text->p : "", text->len);
}

int
mailmsg_build(const struct mail_template *t, const struct mail_values *v,
    const struct mail_envelope *env, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct textbuf	 head = TEXTBUF_EMPTY, text = TEXTBUF_EMPTY,
			 html = TEXTBUF_EMPTY, msg = TEXTBUF_EMPTY;
	char		 date[40], subject[MAILMSG_SUBJECT_MAX * 3], minutes[32];
	size_t		 i;
	int		 rc = -1;

	*out = NULL;
	*outlen = 0;
	if (env->from == NULL || !email_valid(env->from, strlen(env->from)) ||
	    env->to == NULL || !email_valid(env->to, strlen(env->to))) {
		snprintf(err, errlen, "a sender or recipient address that is "
		    "not a plain addr-spec");
		return -1;
	}
	if (env->message_token == NULL || *env->message_token == '\0' ||
	    strspn(env->message_token, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
	    strlen(env->message_token)) {
		snprintf(err, errlen, "a Message-ID token that is not "
		    "letters and digits");
		return -1;
	}
	snprintf(minutes, sizeof(minutes), "%ld", v->minutes);
	for (i = 0; i < NPLACEHOLDERS; i++)
		if (((t->uses | t->html_uses) & placeholders[i].bit) &&
		    !header_safe(
		    placeholder_value(placeholders[i].bit, v, minutes))) {
			snprintf(err, errlen, "a placeholder value that is "
			    "missing or holds a control character");
			return -1;
		}
	if (mailmsg_encode_subject(t->subject, subject, sizeof(subject)) < 0) {
		snprintf(err, errlen, "the subject does not fit");
		return -1;
	}

	/* The bodies with their placeholders filled in. */
	if (fill(&text, t->body, v, minutes, 0) == -1 || (t->html != NULL &&
	    fill(&html, t->html, v, minutes, 1) == -1)) {
		snprintf(err, errlen, "unknown placeholder");
		goto out;
	}

	format_date(env->date, date);
	textbuf_str(&head, "Date: ");
	textbuf_str(&head, date);
	textbuf_str(&head, "\r\nFrom: ");
	textbuf_str(&head, env->from);
	textbuf_str(&head, "\r\nTo: ");
	textbuf_str(&head, env->to);
	textbuf_str(&head, "\r\nSubject: ");
	textbuf_str(&head, subject);
	textbuf_str(&head, "\r\nMessage-ID: <");
	textbuf_str(&head, env->message_token);
	textbuf_str(&head, "@");
	textbuf_str(&head, id_domain(env->from));
	textbuf_str(&head, ">\r\nMIME-Version: 1.0\r\n");
	if (t->html == NULL)
		textbuf_str(&head, TEXT_PART_HEADERS);
	else {
		/* "=_" never occurs in quoted-printable output. */
		textbuf_str(&head, "Content-Type: multipart/alternative; "
		    "boundary=\"=_");
		textbuf_str(&head, env->message_token);
		textbuf_str(&head, "\"\r\n");
	}
	textbuf_str(&head, "Auto-Submitted: auto-generated\r\n"
	    "X-Auto-Response-Suppress: All\r\n\r\n");
	textbuf_add(&msg, head.p != NULL ? head.p : "", head.len);
	if (t->html == NULL)
		mailenc_quoted_printable(&msg, text.p != NULL ? text.p : "",
		    text.len);
	else {
		textbuf_str(&msg, "This is a MIME message: a text part and an "
		    "HTML part.\r\n");
		add_part(&msg, env->message_token, TEXT_PART_HEADERS, &text);
		add_part(&msg, env->message_token, "Content-Type: text/html; "
		    "charset=UTF-8\r\nContent-Transfer-Encoding: "
		    "quoted-printable\r\n\r\n", &html);
		textbuf_str(&msg, "\r\n--=_");
		textbuf_str(&msg, env->message_token);
		textbuf_str(&msg, "--\r\n");
	}
	if (head.failed || text.failed || html.failed || msg.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*out = msg.p;
	*outlen = msg.len;
	msg.p = NULL;
	rc = 0;
out:
	textbuf_wipe(&head);
	textbuf_wipe(&text);
	textbuf_wipe(&html);
	if (msg.p != NULL)
		textbuf_wipe(&msg);
	OPENSSL_cleanse(minutes, sizeof(minutes));
	return rc;
}
