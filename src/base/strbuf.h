/*
 * strbuf.h: the two kinds of text the programs build.
 *
 * struct strbuf: text in a fixed buffer the caller owns (an answer, a
 * log line).  What does not fit is cut, and the cut is remembered, so a
 * caller can refuse a cut text (an answer) or write it cut (a log line).
 * No allocation, no NUL kept: len says how much there is.
 *
 * struct textbuf: text that grows on the heap (the metrics exposition, a
 * mail).  Always NUL-terminated once anything is in it; a failed
 * allocation is remembered (failed) and later additions do nothing.
 * Growing copies and wipes the old copy, never realloc(), since a mail
 * holds a code; textbuf_wipe wipes and frees it.
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

struct textbuf {
	char	*p;		/* NULL until something is added */
	size_t	 len, cap;
	int	 failed;	/* out of memory: the text is cut */
};

#define TEXTBUF_EMPTY	{ NULL, 0, 0, 0 }

/* Appends the n bytes at s. */
void textbuf_add(struct textbuf *t, const char *s, size_t n);

/* Appends the string s. */
void textbuf_str(struct textbuf *t, const char *s);

/* Appends formatted text. */
void textbuf_printf(struct textbuf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Wipes and frees the text; t is empty again. */
void textbuf_wipe(struct textbuf *t);

#endif
