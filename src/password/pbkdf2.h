/*
 * pbkdf2.h: PBKDF2-HMAC-SHA256 (RFC 8018).  Two engines with bit-identical
 * output: OpenSSL's PKCS5_PBKDF2_HMAC, and a fast one on libcrypto's own
 * SHA-256 compression function with the HMAC pads hashed once, so each
 * iteration costs exactly two compressions.
 */
#ifndef AR_PBKDF2_H
#define AR_PBKDF2_H

#include <stddef.h>

enum pbkdf2_engine {
	PBKDF2_ENGINE_OPENSSL = 0,
	PBKDF2_ENGINE_FAST = 1,
};

/* Derives outlen bytes.  Returns 0, or -1 (bad arguments, libcrypto
 * failure).  iterations must be at least 1. */
int pbkdf2_sha256(enum pbkdf2_engine engine, const void *password,
    size_t password_len, const void *salt, size_t salt_len,
    unsigned long iterations, unsigned char *out, size_t outlen);

/* 1 when the fast engine was built (configure found SHA256_Transform). */
int pbkdf2_fast_available(void);

/* Compares the fast engine with PKCS5_PBKDF2_HMAC on fixed vectors.
 * Returns 0 when they agree, -1 when they do not (or fast is missing). */
int pbkdf2_self_test(void);

/* The engine to hash with when wanted is configured: wanted, unless it is
 * the fast engine and that fails its self-test (then OpenSSL, logged).
 * Every program that hashes calls it once at start. */
enum pbkdf2_engine pbkdf2_engine_checked(enum pbkdf2_engine wanted);

/* "openssl" / "fast" <-> engine; parse returns -1 for anything else. */
const char *pbkdf2_engine_name(enum pbkdf2_engine engine);
int pbkdf2_engine_parse(const char *name, enum pbkdf2_engine *engine);

#endif
