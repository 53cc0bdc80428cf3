/*
 * strbuf.c: text in a fixed buffer (see strbuf.h).
 */
#include "ac-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secure.h"
#include "base/strbuf.h"

void
strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->cut = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
strbuf_str(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void
strbuf_uint(struct strbuf *b, unsigned long long n, int width)
{
	char	digits[24];
	int	i = (int)sizeof(digits);

	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
		width--;
	} while (n != 0 || width > 0);
	strbuf_add(b, digits + i, sizeof(digits) - (size_t)i);
}

/* Room for n more bytes and a NUL; 0, or -1 (failed set). */
static int
textbuf_reserve(struct textbuf *t, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (t->failed)
		return -1;
	if (t->len + n + 1 <= t->cap)
		return 0;
	ncap = t->cap == 0 ? 4096 : t->cap;
	while (ncap < t->len + n + 1)
		ncap *= 2;
	if ((np = malloc(ncap)) == NULL) {
		t->failed = 1;
		return -1;
	}
	if (t->p != NULL) {
		memcpy(np, t->p, t->len + 1);
		secure_free(t->p, t->cap);
	}
	t->p = np;
	t->cap = ncap;
	return 0;
}

void
textbuf_add(struct textbuf *t, const char *s, size_t n)
{
	if (textbuf_reserve(t, n) == -1)
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void
textbuf_str(struct textbuf *t, const char *s)
{
	textbuf_add(t, s, strlen(s));
}

void
textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = 1;
		return;
	}
	if (textbuf_reserve(t, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void
textbuf_wipe(struct textbuf *t)
{
	if (t->p != NULL)
		secure_free(t->p, t->cap);
	memset(t, 0, sizeof(*t));
}
