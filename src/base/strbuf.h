/*
 * strbuf.h: text built in a fixed buffer the caller owns (an answer, a
 * log line).  What does not fit is cut, and the cut is remembered, so a
 * caller can refuse a cut text (an answer) or write it cut (a log line).
 * No allocation, no NUL kept: len says how much there is.
 */
#ifndef AR_STRBUF_H
#define AR_STRBUF_H

#include <stddef.h>

struct strbuf {
	char	*p;
	size_t	 cap;		/* bytes at p that may be used */
	size_t	 len;
	int	 cut;		/* something did not fit */
};

/* A strbuf over the array a, all of it usable. */
#define STRBUF_OVER(a)	{ (a), sizeof(a), 0, 0 }

/* Appends what fits of the n bytes at s. */
void strbuf_add(struct strbuf *b, const char *s, size_t n);

/* Appends the string s. */
void strbuf_str(struct strbuf *b, const char *s);

/* Appends n in decimal, at least width digits (zero-padded). */
void strbuf_uint(struct strbuf *b, unsigned long long n, int width);

#endif
