/*
 * mailenc.c: the encodings a mail needs (mailenc.h): an RFC 2047 encoded
 * subject, quoted-printable bodies.  Pure functions.
 */
#include "ac-config.h"

#include <string.h>

#include "base/strbuf.h"
#include "mailer/mailenc.h"
#include "mailer/mailmsg.h"

#define QP_LINE_MAX	76
#define ENCODED_WORD_BYTES 45	/* 60 base64 characters + 12 = 72 < 75 */

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
void
mailenc_quoted_printable(struct textbuf *b, const char *text, size_t len)
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
