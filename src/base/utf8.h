/*
 * utf8.h: strict UTF-8 validation and code point counting.
 */
#ifndef AR_UTF8_H
#define AR_UTF8_H

#include <stddef.h>

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, nothing truncated.  Returns 0 and stores the number of code
 * points in *count (if not NULL), or -1 if the bytes are not UTF-8. */
int utf8_validate(const char *s, size_t len, size_t *count);

#endif
