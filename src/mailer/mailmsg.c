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
#include "mailer/mailmsg.h"
#include "base/strbuf.h"
#include "password/rules.h"
#include "base/secure.h"
#include "base/utf8.h"

#define QP_LINE_MAX	76
#define ENCODED_WORD_BYTES 45	/* 60 base64 characters + 12 = 72 < 75 */

static const struct {
	const char	*name;
	unsigned	 bit;
} placeholders[] = {
	{ "{{code}}", MAILMSG_USES_CODE },
	{ "{{reset_link}}", MAILMSG_USES_LINK },
	{ "{{minutes}}", MAILMSG_USES_MINUTES },
};

#define NPLACEHOLDERS	(sizeof(placeholders) / sizeof(placeholders[0]))

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
	for (p = t->body; (p = strstr(p, "{{")) != NULL; ) {
		for (i = 0; i < NPLACEHOLDERS; i++)
			if (strncmp(p, placeholders[i].name,
			    strlen(placeholders[i].name)) == 0)
				break;
		if (i == NPLACEHOLDERS) {
			snprintf(err, errlen, "unknown placeholder at \"%.20s\" "
			    "(known: {{code}}, {{reset_link}}, {{minutes}})", p);
			goto fail;
		}
		t->uses |= placeholders[i].bit;
		p += strlen(placeholders[i].name);
	}
	return 0;
fail:
	mailmsg_template_free(t);
	return -1;
}

void
mailmsg_template_free(struct mail_template *t)
{
	free(t->body);
	memset(t, 0, sizeof(*t));
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

static int
printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

long
mailmsg_encode_subject(const char *subject, char *out, size_t outlen)
{
	static const char	b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)subject;
	size_t			 n = strlen(subject), i = 0, take, k, o = 0;
	unsigned		 v;

	if (printable_ascii(subject)) {
		if (n + 1 > outlen)
			return -1;
		memcpy(out, subject, n + 1);
		return (long)n;
	}
	while (i < n) {
		/* As many whole characters as fit in one encoded word. */
		take = n - i < ENCODED_WORD_BYTES ? n - i : ENCODED_WORD_BYTES;
		while (take < n - i && (s[i + take] & 0xc0) == 0x80)
			take--;
		if (o + (o > 0 ? 3 : 0) + 12 + (take + 2) / 3 * 4 + 1 > outlen)
			return -1;
		if (o > 0) {
			memcpy(out + o, "\r\n ", 3);	/* folded */
			o += 3;
		}
		memcpy(out + o, "=?UTF-8?B?", 10);
		o += 10;
		for (k = 0; k < take; k += 3) {
			v = (unsigned)s[i + k] << 16;
			if (k + 1 < take)
				v |= (unsigned)s[i + k + 1] << 8;
			if (k + 2 < take)
				v |= s[i + k + 2];
			out[o++] = b64[(v >> 18) & 63];
			out[o++] = b64[(v >> 12) & 63];
			out[o++] = k + 1 < take ? b64[(v >> 6) & 63] : '=';
			out[o++] = k + 2 < take ? b64[v & 63] : '=';
		}
		memcpy(out + o, "?=", 2);
		o += 2;
		i += take;
	}
	out[o] = '\0';
	return (long)o;
}

/* Quoted-printable (RFC 2045 section 6.7) of text with LF line ends,
 * with CRLF line ends and soft breaks keeping lines to 76 characters. */
static void
add_quoted_printable(struct textbuf *b, const char *text, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)text;
	char			 enc[4];
	size_t			 i, col = 0, w;
	int			 literal, at_end;

	for (i = 0; i < len; i++) {
		if (u[i] == '\n') {
			textbuf_add(b, "\r\n", 2);
			col = 0;
			continue;
		}
		at_end = i + 1 == len || u[i + 1] == '\n';
		literal = (u[i] >= 33 && u[i] <= 126 && u[i] != '=') ||
		    ((u[i] == ' ' || u[i] == '\t') && !at_end);
		/* A dot opening a line would need SMTP dot-stuffing. */
		if (u[i] == '.' && col == 0)
			literal = 0;
		if (literal) {
			enc[0] = (char)u[i];
			w = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[u[i] >> 4];
			enc[2] = hex[u[i] & 15];
			w = 3;
		}
		/* Room for a soft break "=" unless this ends the line. */
		if (col + w > QP_LINE_MAX - (at_end ? 0 : 1)) {
			textbuf_add(b, "=\r\n", 3);
			col = 0;
			if (u[i] == '.' && literal) {	/* now opening a line */
				enc[0] = '=';
				enc[1] = hex[u[i] >> 4];
				enc[2] = hex[u[i] & 15];
				w = 3;
			}
		}
		textbuf_add(b, enc, w);
		col += w;
	}
	if (len > 0 && u[len - 1] != '\n')
		textbuf_add(b, "\r\n", 2);
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

int
mailmsg_build(const struct mail_template *t, const struct mail_values *v,
    const struct mail_envelope *env, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct textbuf	 head = TEXTBUF_EMPTY, text = TEXTBUF_EMPTY,
			 msg = TEXTBUF_EMPTY;
	char		 date[40], subject[MAILMSG_SUBJECT_MAX * 3], minutes[32];
	const char	*p, *next, *val;
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
	if (((t->uses & MAILMSG_USES_CODE) && !header_safe(v->code)) ||
	    ((t->uses & MAILMSG_USES_LINK) && !header_safe(v->reset_link))) {
		snprintf(err, errlen, "a placeholder value that is missing or "
		    "holds a control character");
		return -1;
	}
	if (mailmsg_encode_subject(t->subject, subject, sizeof(subject)) < 0) {
		snprintf(err, errlen, "the subject does not fit");
		return -1;
	}
	snprintf(minutes, sizeof(minutes), "%ld", v->minutes);

	/* The body with its placeholders filled in. */
	for (p = t->body; *p != '\0'; p = next) {
		if ((next = strstr(p, "{{")) == NULL) {
			textbuf_str(&text, p);
			break;
		}
		textbuf_add(&text, p, (size_t)(next - p));
		for (i = 0; i < NPLACEHOLDERS; i++)
			if (strncmp(next, placeholders[i].name,
			    strlen(placeholders[i].name)) == 0)
				break;
		if (i == NPLACEHOLDERS) {	/* the parser refused these */
			snprintf(err, errlen, "unknown placeholder");
			goto out;
		}
		val = placeholders[i].bit == MAILMSG_USES_CODE ? v->code :
		    placeholders[i].bit == MAILMSG_USES_LINK ? v->reset_link :
		    minutes;
		textbuf_str(&text, val);
		next += strlen(placeholders[i].name);
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
	textbuf_str(&head, ">\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "X-Auto-Response-Suppress: All\r\n\r\n");
	textbuf_add(&msg, head.p != NULL ? head.p : "", head.len);
	add_quoted_printable(&msg, text.p != NULL ? text.p : "", text.len);
	if (head.failed || text.failed || msg.failed) {
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
	if (msg.p != NULL)
		textbuf_wipe(&msg);
	OPENSSL_cleanse(minutes, sizeof(minutes));
	return rc;
}
