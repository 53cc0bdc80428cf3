/*
 * form.c: application/x-www-form-urlencoded (see form.h).
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "api/form.h"
#include "base/hex.h"

/* Decodes s[0..n) into out (cap bytes, NUL added) and *outlen; a NULL out
 * only checks and measures.  FORM_OK, FORM_MALFORMED or FORM_TOO_LONG. */
static enum form_result
decode(const char *s, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t		i, o = 0;
	int		hi, lo;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (n - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0)
				return FORM_MALFORMED;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		/* No value we take holds a control byte; a NUL would cut it. */
		if (c < 0x20 || c == 0x7f)
			return FORM_MALFORMED;
		if (out != NULL) {
			if (o + 1 >= cap)
				return FORM_TOO_LONG;
			out[o] = (char)c;
		}
		o++;
	}
	if (out != NULL)
		out[o] = '\0';
	*outlen = o;
	return FORM_OK;
}

/* The field whose name is the decoded name[0..n), or NULL. */
static struct form_field *
find(const char *name, size_t n, struct form_field *f, size_t nf)
{
	char	buf[64];
	size_t	len, i;

	if (decode(name, n, buf, sizeof(buf), &len) != FORM_OK)
		return NULL;	/* longer than any name we take, or bad */
	for (i = 0; i < nf; i++)
		if (strlen(f[i].name) == len && memcmp(f[i].name, buf, len) == 0)
			return &f[i];
	return NULL;
}

void
form_wipe(struct form_field *fields, size_t nfields)
{
	size_t	i;

	for (i = 0; i < nfields; i++) {
		if (fields[i].cap > 0)
			OPENSSL_cleanse(fields[i].value, fields[i].cap);
		fields[i].value[0] = '\0';
		fields[i].len = 0;
		fields[i].seen = 0;
	}
}

enum form_result
form_parse(const char *body, size_t len, struct form_field *fields,
    size_t nfields)
{
	const char		*p = body, *end = body + len, *amp, *eq;
	struct form_field	*f;
	enum form_result	 rc = FORM_OK;
	size_t			 skip;

	form_wipe(fields, nfields);
	while (p < end && rc == FORM_OK) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;	/* "name" alone: an empty value */
		f = find(p, (size_t)(eq - p), fields, nfields);
		if (f == NULL) {
			/* Ignored, but still well-formed. */
			rc = decode(p, (size_t)(amp - p), NULL, 0, &skip);
		} else if (f->seen)
			rc = FORM_REPEATED;
		else {
			f->seen = 1;
			rc = eq == amp ? decode("", 0, f->value, f->cap, &f->len) :
			    decode(eq + 1, (size_t)(amp - eq - 1), f->value,
			    f->cap, &f->len);
		}
		p = amp + 1;
	}
	if (rc != FORM_OK)
		form_wipe(fields, nfields);
	return rc;
}
