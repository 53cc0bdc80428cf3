/*
 * token.h: random secrets and their digests.  Tokens and validation codes
 * are random bytes from RAND_bytes written in the URL-safe base64 alphabet
 * without padding; the database only ever sees their SHA-256 digests.
 */
#ifndef AR_TOKEN_H
#define AR_TOKEN_H

#include <stddef.h>

#define TOKEN_BYTES	32			/* 256 bits */
#define TOKEN_CHARS	43			/* base64url of 32 bytes */
#define CODE_BYTES	24			/* 192 bits */
#define CODE_CHARS	32			/* base64url of 24 bytes */
#define SHA256_HEX_CHARS 64

/* Writes nbytes random bytes as base64url (no padding) plus a NUL into out,
 * which must hold (4 * nbytes + 2) / 3 + 1 bytes.  Returns 0 or -1. */
int random_base64url(size_t nbytes, char *out);

/* Lower-case hex SHA-256 of data, 64 characters and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1]);

#endif
