/*
 * fold.h: the case fold that makes the blocklist and the context checks
 * case-insensitive.  One rule, applied alike when a list is built and when
 * a password is checked (docs/BLOCKLIST.md):
 *
 *   every code point below U+0500 (Basic Latin, Latin-1, Latin Extended-A
 *   and -B, IPA, Greek and Coptic, Cyrillic) whose Unicode lowercase
 *   mapping is a single code point is replaced by it; every other code
 *   point, and every byte that is not part of valid UTF-8, is kept as it
 *   is.  There is no normalisation (NFC and NFD forms stay different).
 *
 * So "PASSWORD" and "Password" fold to "password", "ÄÖÜ" to "äöü", "ΣΟΦΙΑ"
 * to "σοφια", "ПАРОЛЬ" to "пароль"; U+0130 (İ, whose lowercase is two code
 * points) is kept.  The rule is fold version 1 of the compact file.
 */
#ifndef AR_FOLD_H
#define AR_FOLD_H

#include <stddef.h>
#include <stdint.h>

#define FOLD_VERSION	1

/* The most bytes fold_utf8 writes for len bytes of input: two-byte
 * characters may fold to three bytes (U+023A -> U+2C65), nothing grows
 * more. */
#define FOLD_MAX_BYTES(len)	((len) + (len) / 2 + 1)

/* The folded code point of cp (cp itself when the rule leaves it). */
uint32_t fold_code_point(uint32_t cp);

/* Folds the bytes in[0..len) into out, which has room for
 * FOLD_MAX_BYTES(len) bytes; returns the length written (no NUL). */
size_t fold_utf8(const char *in, size_t len, char *out);

/* Decodes the valid UTF-8 code point at p (left > 0 bytes readable) into
 * *cp and returns its length in bytes, or 0 when the bytes there are not
 * a valid UTF-8 character. */
size_t fold_decode(const unsigned char *p, size_t left, uint32_t *cp);

#endif
