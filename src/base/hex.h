/*
 * hex.h: the one hex encoder (lower case), for digests, request ids,
 * leases and Message-IDs, and the one hex digit reader.
 */
#ifndef AR_HEX_H
#define AR_HEX_H

#include <stddef.h>

/* Writes the 2 * n lower-case hex digits of the n bytes at in, and a
 * NUL, to out (2 * n + 1 bytes). */
void hex_encode(const void *in, size_t n, char *out);

/* Writes 2 * n random hex digits (n bytes of RAND_bytes, n at most 32)
 * and a NUL to out.  Returns 0, or -1 when the random source fails
 * (out is then the empty string). */
int hex_random(size_t n, char *out);

/* The value of one hex digit (either case), or -1 for any other char. */
int hex_digit(char c);

#endif
