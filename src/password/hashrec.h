/*
 * hashrec.h: password hash records in Django's format,
 *   pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte digest>
 * which Django, passlib (django_pbkdf2_sha256) and any PBKDF2 library
 * verify.  The salt is 22 characters of [A-Za-z0-9] from RAND_bytes
 * (130 bits), as Django makes them; PBKDF2 takes the salt text as bytes.
 */
#ifndef AR_HASHREC_H
#define AR_HASHREC_H

#include <stddef.h>

#include "password/pbkdf2.h"

#define HASHREC_MAX		256	/* buffer size for a record, NUL included */
#define HASHREC_SALT_CHARS	22
#define HASHREC_MAX_SALT	64
#define HASHREC_MAX_ITERATIONS	100000000UL

struct hashrec {
	unsigned long	iterations;
	char		salt[HASHREC_MAX_SALT + 1];
	unsigned char	digest[32];
};

/* Hashes password with a fresh random salt into out (HASHREC_MAX bytes).
 * Returns 0, or -1 (RAND_bytes or PBKDF2 failed). */
int hashrec_make(enum pbkdf2_engine engine, const char *password, size_t len,
    unsigned long iterations, char *out);

/* Parses a record strictly (algorithm name, 1..HASHREC_MAX_ITERATIONS,
 * salt of 1..HASHREC_MAX_SALT characters without '$', a digest that is
 * canonical base64 of exactly 32 bytes).  Returns 0 or -1. */
int hashrec_parse(const char *record, struct hashrec *out);

/* 1 when password matches record, 0 when it does not, -1 when the record
 * is malformed.  The digest comparison is constant-time. */
int hashrec_verify(enum pbkdf2_engine engine, const char *record,
    const char *password, size_t len);

#endif
