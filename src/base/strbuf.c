/*
 * strbuf.c: text in a fixed buffer (see strbuf.h).
 */
#include "ac-config.h"

#include <string.h>

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
