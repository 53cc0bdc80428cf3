/*
 * hashrec.c: making, parsing and checking password hash records in
 * Django's "pbkdf2_sha256$<iterations>$<salt>$<base64 digest>" format.
 * Records come back from the database, so the parser trusts nothing: it
 * accepts exactly one spelling of every record it accepts.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "password/hashrec.h"

#define ALGORITHM	"pbkdf2_sha256$"
#define DIGEST_LEN	32
/* Ten full quartets, then three characters and one '='. */
#define DIGEST_B64_LEN	44

static const char salt_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define SALT_ALPHABET_LEN	(sizeof(salt_alphabet) - 1)	/* 62 */
/* The largest multiple of 62 that fits a byte: bytes at or above it are
 * dropped, so every character is drawn with the same probability. */
#define SALT_BYTE_LIMIT	(256 - 256 % SALT_ALPHABET_LEN)	/* 248 */

/*
 * Fills salt with HASHREC_SALT_CHARS characters of [A-Za-z0-9] and a NUL,
 * by rejection sampling over RAND_bytes.  Returns 0 or -1.
 */
static int
make_salt(char salt[HASHREC_SALT_CHARS + 1])
{
	unsigned char	 rnd[32];
	size_t		 have = 0, i;
	int		 rc = -1;

	while (have < HASHREC_SALT_CHARS) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			goto out;
		for (i = 0; i < sizeof(rnd) && have < HASHREC_SALT_CHARS; i++)
			if (rnd[i] < SALT_BYTE_LIMIT)
				salt[have++] =
				    salt_alphabet[rnd[i] % SALT_ALPHABET_LEN];
	}
	salt[have] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

/* Writes the 32-byte digest as padded standard base64 (44 chars + NUL). */
static void
encode_digest(const unsigned char in[DIGEST_LEN], char out[DIGEST_B64_LEN + 1])
{
	EVP_EncodeBlock((unsigned char *)out, in, DIGEST_LEN);
}

/*
 * Decodes s, which must be exactly the canonical padded base64 of 32
 * bytes (43 alphabet characters, the last carrying no stray low bits, one
 * '=', the end): what decodes and encodes back to the same 44 characters.
 * Returns 0 or -1.
 */
static int
decode_digest(const char *s, unsigned char out[DIGEST_LEN])
{
	unsigned char	 buf[DIGEST_LEN + 3];
	char		 again[DIGEST_B64_LEN + 1];
	int		 canonical;

	if (strlen(s) != DIGEST_B64_LEN)
		return -1;
	/* 44 characters decode to 33 bytes, the last one padding. */
	canonical = EVP_DecodeBlock(buf, (const unsigned char *)s,
	    DIGEST_B64_LEN) == DIGEST_LEN + 1;
	if (canonical) {
		encode_digest(buf, again);
		canonical = memcmp(again, s, DIGEST_B64_LEN) == 0;
	}
	if (canonical)
		memcpy(out, buf, DIGEST_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return canonical ? 0 : -1;
}

int
hashrec_make(enum pbkdf2_engine engine, const char *password, size_t len,
    unsigned long iterations, char *out)
{
	char		 salt[HASHREC_SALT_CHARS + 1];
	char		 b64[DIGEST_B64_LEN + 1];
	unsigned char	 digest[DIGEST_LEN];
	int		 n, rc = -1;

	if (out == NULL)
		return -1;
	out[0] = '\0';
	if (iterations < 1 || iterations > HASHREC_MAX_ITERATIONS)
		return -1;
	if (make_salt(salt) == -1)
		goto out;
	if (pbkdf2_sha256(engine, password, len, salt, HASHREC_SALT_CHARS,
	    iterations, digest, sizeof(digest)) == -1)
		goto out;
	encode_digest(digest, b64);
	n = snprintf(out, HASHREC_MAX, ALGORITHM "%lu$%s$%s", iterations,
	    salt, b64);
	if (n < 0 || n >= HASHREC_MAX) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

int
hashrec_parse(const char *record, struct hashrec *out)
{
	struct hashrec	 rec;
	const char	*p, *end;
	size_t		 salt_len;
	int		 rc = -1;

	memset(&rec, 0, sizeof(rec));
	if (record == NULL || out == NULL)
		goto out;
	if (strncmp(record, ALGORITHM, sizeof(ALGORITHM) - 1) != 0)
		goto out;
	p = record + sizeof(ALGORITHM) - 1;

	/* Decimal, no sign, no leading zero, bounded while it is read. */
	if (*p < '1' || *p > '9')
		goto out;
	for (; *p >= '0' && *p <= '9'; p++) {
		rec.iterations = rec.iterations * 10 +
		    (unsigned long)(*p - '0');
		if (rec.iterations > HASHREC_MAX_ITERATIONS)
			goto out;
	}
	if (*p++ != '$')
		goto out;

	if ((end = strchr(p, '$')) == NULL)
		goto out;
	salt_len = (size_t)(end - p);
	if (salt_len < 1 || salt_len > HASHREC_MAX_SALT)
		goto out;
	memcpy(rec.salt, p, salt_len);
	rec.salt[salt_len] = '\0';

	if (decode_digest(end + 1, rec.digest) == -1)
		goto out;
	*out = rec;
	rc = 0;
out:
	OPENSSL_cleanse(&rec, sizeof(rec));
	return rc;
}

int
hashrec_verify(enum pbkdf2_engine engine, const char *record,
    const char *password, size_t len)
{
	struct hashrec	 rec;
	unsigned char	 derived[DIGEST_LEN];
	int		 rc = -1;

	if (hashrec_parse(record, &rec) == -1)
		return -1;
	/* A PBKDF2 failure is reported as -1 too: never as a match. */
	if (pbkdf2_sha256(engine, password, len, rec.salt, strlen(rec.salt),
	    rec.iterations, derived, sizeof(derived)) == -1)
		goto out;
	rc = CRYPTO_memcmp(derived, rec.digest, sizeof(derived)) == 0;
out:
	OPENSSL_cleanse(derived, sizeof(derived));
	OPENSSL_cleanse(&rec, sizeof(rec));
	return rc;
}
