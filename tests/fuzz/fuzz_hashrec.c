/*
 * fuzz_hashrec.c: the hash-record parser (hashrec.h), which reads what
 * comes back from the database, and the check built on it.
 *
 * Input: the record, then optionally a NUL byte and a password (the rest
 * of the input).  What must hold:
 *   - hashrec_parse accepts exactly one spelling of each record: what it
 *     accepts, written out again from the parsed fields, is the input;
 *   - what it accepts is in range (iterations, salt length, no '$');
 *   - hashrec_verify refuses (-1) every record the parser refuses, and
 *     for a record it accepts (with few enough iterations to be quick)
 *     answers what PBKDF2 computed here answers, with either engine;
 *   - a record made by hashrec_make for the password verifies.
 */
#include "ac-config.h"

#include <string.h>

#include "fuzz.h"
#include "password/hashrec.h"
#include "password/pbkdf2.h"

/* Records with more iterations than this are parsed but not hashed:
 * a fuzzer input must take microseconds, not seconds. */
#define QUICK_ITERATIONS	64UL
#define ALGORITHM		"pbkdf2_sha256$"

/* Standard padded base64 of 32 bytes: 43 characters, '=' and a NUL. */
static void
base64_32(const unsigned char in[32], char out[45])
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long		 v;
	size_t			 i, o = 0;
	int			 k;

	for (i = 0; i < 32; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < 32)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < 32)
			v |= in[i + 2];
		for (k = 3; k >= 0; k--)
			out[o++] = alphabet[v >> (6 * k) & 0x3f];
	}
	out[43] = '=';	/* 32 = 3 * 10 + 2: the last quartet has one pad */
	out[44] = '\0';
}

/* The record the parsed fields stand for, or NULL when it cannot fit. */
static char *
write_out(const struct hashrec *rec, char *buf, size_t size)
{
	char	b64[45];
	int	n;

	base64_32(rec->digest, b64);
	n = snprintf(buf, size, ALGORITHM "%lu$%s$%s", rec->iterations,
	    rec->salt, b64);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* hashrec_verify against PBKDF2 over the parsed fields, both engines. */
static void
check_verify(const char *record, const struct hashrec *rec,
    const char *pw, size_t pwlen)
{
	unsigned char	derived[32];
	int		want, got;

	FUZZ_CHECK(pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, pw, pwlen, rec->salt,
	    strlen(rec->salt), rec->iterations, derived, sizeof(derived)) == 0,
	    "PBKDF2 works on any password and salt");
	want = memcmp(derived, rec->digest, sizeof(derived)) == 0;
	got = hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, pw, pwlen);
	FUZZ_CHECK(got == want, "hashrec_verify (openssl) answers as PBKDF2 does");
	if (pbkdf2_fast_available()) {
		got = hashrec_verify(PBKDF2_ENGINE_FAST, record, pw, pwlen);
		FUZZ_CHECK(got == want,
		    "hashrec_verify (fast) answers as PBKDF2 does");
	}
}

/* A fresh record for the password verifies, and only for it. */
static void
check_make(const char *pw, size_t pwlen, unsigned long iterations)
{
	char		 record[HASHREC_MAX], *other;
	struct hashrec	 rec;

	FUZZ_CHECK(hashrec_make(PBKDF2_ENGINE_OPENSSL, pw, pwlen, iterations,
	    record) == 0, "hashrec_make works on any password");
	FUZZ_CHECK(hashrec_parse(record, &rec) == 0 &&
	    rec.iterations == iterations &&
	    strlen(rec.salt) == HASHREC_SALT_CHARS,
	    "a record hashrec_make wrote parses back");
	FUZZ_CHECK(hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, pw,
	    pwlen) == 1, "a record made for a password verifies it");
	/* Not "the password cut short": HMAC pads its key with zeros, so
	 * trailing NUL bytes never change PBKDF2 (the request refuses NUL
	 * in a password as a control character).  One bit flipped does. */
	if (pwlen > 0 && (other = malloc(pwlen)) != NULL) {
		memcpy(other, pw, pwlen);
		other[pwlen - 1] ^= 1;
		FUZZ_CHECK(hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, other,
		    pwlen) == 0, "...and not a password one bit away");
		free(other);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*record, *again;
	const char	*pw;
	struct hashrec	 rec;
	size_t		 reclen, pwlen;
	int		 rc;

	/* The record is a C string (a database column): NUL-terminated
	 * in its own allocation, so ASan sees a read past its end. */
	reclen = strnlen((const char *)data, size);
	if ((record = malloc(reclen + 1)) == NULL)
		return 0;
	memcpy(record, data, reclen);
	record[reclen] = '\0';
	pw = reclen < size ? (const char *)data + reclen + 1 : "";
	pwlen = reclen < size ? size - reclen - 1 : 0;

	memset(&rec, 0xa5, sizeof(rec));
	rc = hashrec_parse(record, &rec);
	FUZZ_CHECK(rc == 0 || rc == -1, "hashrec_parse returns 0 or -1");
	if (rc == -1) {
		FUZZ_CHECK(hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, pw,
		    pwlen) == -1, "a record that does not parse never verifies");
		goto out;
	}
	FUZZ_CHECK(rec.iterations >= 1 &&
	    rec.iterations <= HASHREC_MAX_ITERATIONS, "iterations in range");
	FUZZ_CHECK(strnlen(rec.salt, sizeof(rec.salt)) >= 1 &&
	    strnlen(rec.salt, sizeof(rec.salt)) <= HASHREC_MAX_SALT &&
	    strchr(rec.salt, '$') == NULL, "the salt is 1..64 chars, no '$'");
	again = malloc(reclen + 64);
	FUZZ_CHECK(again != NULL && write_out(&rec, again, reclen + 64) != NULL &&
	    strcmp(again, record) == 0,
	    "an accepted record is the one spelling of its fields");
	free(again);
	if (rec.iterations <= QUICK_ITERATIONS)
		check_verify(record, &rec, pw, pwlen);
out:
	/* Hashing costs a few microseconds at one iteration; the password
	 * part of short inputs is enough to exercise it. */
	if (pwlen <= 256)
		check_make(pw, pwlen, 1 + (size & 3));
	free(record);
	(void)hashrec_parse(NULL, &rec);
	return 0;
}
