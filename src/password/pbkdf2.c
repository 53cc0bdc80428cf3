/*
 * pbkdf2.c: PBKDF2-HMAC-SHA256 (RFC 8018, section 5.2) with two engines.
 *
 * The OpenSSL engine is PKCS5_PBKDF2_HMAC.  The fast engine computes the
 * same function on libcrypto's SHA-256 compression function: the HMAC key
 * blocks (password XOR ipad, password XOR opad) are absorbed once into two
 * saved states, and since every U_i after the first is the HMAC of exactly
 * 32 bytes, both the inner and the outer hash of an iteration fit in one
 * pre-padded block.  Each iteration is then two SHA256_Transform calls and
 * some word shuffling, where the generic HMAC path pays for context copies,
 * padding and finalisation besides.
 */
#include "ac-config.h"

#ifdef HAVE_SHA256_TRANSFORM
/* SHA256_Init/Update/Final/Transform are deprecated in OpenSSL 3.0 but
 * still exported; configure checked that they link. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#endif

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#ifdef HAVE_SHA256_TRANSFORM
#include <openssl/sha.h>
#endif

#include "base/log.h"
#include "password/pbkdf2.h"

/*
 * Both engines accept the same arguments, so a caller can switch engines
 * without finding new failure cases: PKCS5_PBKDF2_HMAC takes int lengths
 * and an int iteration count, so those bound both.  An empty output is
 * treated as a mistake rather than a no-op.
 */
static int
pbkdf2_args_ok(const void *password, size_t password_len, const void *salt,
    size_t salt_len, unsigned long iterations, const unsigned char *out,
    size_t outlen)
{
	if (iterations < 1 || iterations > INT_MAX)
		return 0;
	if (password == NULL && password_len != 0)
		return 0;
	if (salt == NULL && salt_len != 0)
		return 0;
	if (password_len > INT_MAX || salt_len > INT_MAX)
		return 0;
	if (out == NULL || outlen == 0 || outlen > INT_MAX)
		return 0;
	return 1;
}

static int
pbkdf2_openssl(const void *password, size_t password_len, const void *salt,
    size_t salt_len, unsigned long iterations, unsigned char *out,
    size_t outlen)
{
	static const unsigned char empty[1];

	/* Never hand libcrypto a NULL buffer, even for an empty one. */
	if (password_len == 0)
		password = empty;
	if (salt_len == 0)
		salt = empty;
	if (PKCS5_PBKDF2_HMAC(password, (int)password_len, salt, (int)salt_len,
	    (int)iterations, EVP_sha256(), (int)outlen, out) != 1)
		return -1;
	return 0;
}

#ifdef HAVE_SHA256_TRANSFORM

#define BLOCK_LEN	SHA256_CBLOCK		/* 64 */
#define DIGEST_LEN	SHA256_DIGEST_LENGTH	/* 32 */
#define DIGEST_WORDS	(DIGEST_LEN / 4)
/* The bit length of a key block followed by a digest. */
#define KEY_DIGEST_BITS	((BLOCK_LEN + DIGEST_LEN) * 8)

/* The HMAC key blocks, each absorbed into its own SHA-256 state. */
struct hmac_pads {
	SHA256_CTX	inner;	/* after (key XOR ipad) */
	SHA256_CTX	outer;	/* after (key XOR opad) */
};

static inline void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Writes a chaining value as the 32-byte digest it stands for. */
static inline void
store_digest(unsigned char *p, const SHA_LONG h[DIGEST_WORDS])
{
	store_be32(p, h[0]);
	store_be32(p + 4, h[1]);
	store_be32(p + 8, h[2]);
	store_be32(p + 12, h[3]);
	store_be32(p + 16, h[4]);
	store_be32(p + 20, h[5]);
	store_be32(p + 24, h[6]);
	store_be32(p + 28, h[7]);
}

/*
 * Prepares a block whose first 32 bytes will hold a digest as the final
 * block of a message of one key block plus those 32 bytes: 0x80, zeros,
 * and the message length in bits, (64 + 32) * 8 = 768, big-endian.
 */
static void
pad_digest_block(unsigned char block[BLOCK_LEN])
{
	memset(block + DIGEST_LEN, 0, BLOCK_LEN - DIGEST_LEN);
	block[DIGEST_LEN] = 0x80;
	block[BLOCK_LEN - 2] = (unsigned char)(KEY_DIGEST_BITS >> 8);
	block[BLOCK_LEN - 1] = (unsigned char)KEY_DIGEST_BITS;
}

/*
 * Absorbs the HMAC key blocks for password into pads, hashing a password
 * longer than a block first as HMAC requires.  Returns 0 or -1.
 */
static int
hmac_pads_init(struct hmac_pads *pads, const void *password, size_t len)
{
	unsigned char	 key[BLOCK_LEN], pad[BLOCK_LEN];
	SHA256_CTX	 ctx;
	size_t		 i;
	int		 rc = -1;

	memset(key, 0, sizeof(key));
	if (len > BLOCK_LEN) {
		if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, password, len) ||
		    !SHA256_Final(key, &ctx))
			goto out;
	} else if (len > 0)
		memcpy(key, password, len);

	for (i = 0; i < BLOCK_LEN; i++)
		pad[i] = key[i] ^ 0x36;
	if (!SHA256_Init(&pads->inner) ||
	    !SHA256_Update(&pads->inner, pad, BLOCK_LEN))
		goto out;
	for (i = 0; i < BLOCK_LEN; i++)
		pad[i] = key[i] ^ 0x5c;
	if (!SHA256_Init(&pads->outer) ||
	    !SHA256_Update(&pads->outer, pad, BLOCK_LEN))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	return rc;
}

/*
 * Computes T_index = U_1 ^ U_2 ^ ... ^ U_iterations into t (32 bytes).
 * U_1 = HMAC(P, salt || INT(index)) goes through the ordinary hash calls;
 * every later U_i is two compressions on the saved pad states.  The
 * running XOR stays in chaining-value words and is serialised once.
 */
static int
fast_block(const struct hmac_pads *pads, const void *salt, size_t salt_len,
    uint32_t index, unsigned long iterations, unsigned char t[DIGEST_LEN])
{
	SHA256_CTX	 ctx;
	unsigned char	 inner_block[BLOCK_LEN], outer_block[BLOCK_LEN];
	unsigned char	 be_index[4];
	uint32_t	 acc[DIGEST_WORDS];
	unsigned long	 n;
	int		 i, rc = -1;

	store_be32(be_index, index);
	ctx = pads->inner;
	if (!SHA256_Update(&ctx, salt, salt_len) ||
	    !SHA256_Update(&ctx, be_index, sizeof(be_index)) ||
	    !SHA256_Final(inner_block, &ctx))
		goto out;
	ctx = pads->outer;
	if (!SHA256_Update(&ctx, inner_block, DIGEST_LEN) ||
	    !SHA256_Final(inner_block, &ctx))
		goto out;
	for (i = 0; i < DIGEST_WORDS; i++)
		acc[i] = load_be32(inner_block + 4 * i);

	pad_digest_block(inner_block);
	pad_digest_block(outer_block);

	/*
	 * SHA256_Transform reads and updates only the chaining value h, so
	 * ctx stays a complete copy of the inner state (its byte count and
	 * buffer are never used here) and each half of an iteration resets
	 * just the eight words of h.
	 */
	ctx = pads->inner;
	for (n = 1; n < iterations; n++) {
		memcpy(ctx.h, pads->inner.h, sizeof(ctx.h));
		SHA256_Transform(&ctx, inner_block);
		store_digest(outer_block, ctx.h);
		memcpy(ctx.h, pads->outer.h, sizeof(ctx.h));
		SHA256_Transform(&ctx, outer_block);
		store_digest(inner_block, ctx.h);
		for (i = 0; i < DIGEST_WORDS; i++)
			acc[i] ^= ctx.h[i];
	}

	for (i = 0; i < DIGEST_WORDS; i++)
		store_be32(t + 4 * i, acc[i]);
	rc = 0;
out:
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	OPENSSL_cleanse(inner_block, sizeof(inner_block));
	OPENSSL_cleanse(outer_block, sizeof(outer_block));
	OPENSSL_cleanse(acc, sizeof(acc));
	return rc;
}

/* Derives outlen bytes 32 at a time; on failure out is wiped. */
static int
pbkdf2_fast(const void *password, size_t password_len, const void *salt,
    size_t salt_len, unsigned long iterations, unsigned char *out,
    size_t outlen)
{
	struct hmac_pads pads;
	unsigned char	 t[DIGEST_LEN];
	size_t		 done, chunk;
	uint32_t	 index;
	int		 rc = -1;

	if (hmac_pads_init(&pads, password, password_len) == -1)
		goto out;
	/* outlen <= INT_MAX, so the block index cannot wrap. */
	for (done = 0, index = 1; done < outlen; done += chunk, index++) {
		if (fast_block(&pads, salt, salt_len, index, iterations,
		    t) == -1)
			goto out;
		chunk = outlen - done < DIGEST_LEN ? outlen - done : DIGEST_LEN;
		memcpy(out + done, t, chunk);
	}
	rc = 0;
out:
	OPENSSL_cleanse(&pads, sizeof(pads));
	OPENSSL_cleanse(t, sizeof(t));
	if (rc == -1)
		OPENSSL_cleanse(out, outlen);
	return rc;
}

#endif /* HAVE_SHA256_TRANSFORM */

int
pbkdf2_sha256(enum pbkdf2_engine engine, const void *password,
    size_t password_len, const void *salt, size_t salt_len,
    unsigned long iterations, unsigned char *out, size_t outlen)
{
	if (!pbkdf2_args_ok(password, password_len, salt, salt_len,
	    iterations, out, outlen))
		return -1;
	switch (engine) {
	case PBKDF2_ENGINE_OPENSSL:
		return pbkdf2_openssl(password, password_len, salt, salt_len,
		    iterations, out, outlen);
	case PBKDF2_ENGINE_FAST:
#ifdef HAVE_SHA256_TRANSFORM
		return pbkdf2_fast(password, password_len, salt, salt_len,
		    iterations, out, outlen);
#else
		return -1;
#endif
	}
	return -1;
}

int
pbkdf2_fast_available(void)
{
#ifdef HAVE_SHA256_TRANSFORM
	return 1;
#else
	return 0;
#endif
}

/*
 * The self-test vectors: password lengths on both sides of the 64-byte
 * block (where HMAC switches to hashing the key), empty and non-empty
 * salts, the iteration counts where the fast loop runs zero, one and two
 * times, and outputs of one and two blocks.  Passwords are prefixes of a
 * fixed byte pattern, so the table stays small.
 */
static const struct {
	size_t		 password_len;
	const char	*salt;
	unsigned long	 iterations;
	size_t		 outlen;
} self_test_cases[] = {
	{ 8, "salt", 1, 32 },
	{ 8, "salt", 2, 64 },
	{ 0, "", 3, 32 },
	{ 20, "NaCl", 1000, 64 },
	{ 64, "sodium chloride", 2, 32 },
	{ 65, "", 3, 64 },
	{ 100, "a salt longer than one sixty-four byte SHA-256 block, "
	    "just to be sure", 1000, 32 },
	{ 200, "salt", 1, 64 },
};

#define SELF_TEST_MAX_PASSWORD	200
#define SELF_TEST_MAX_OUT	64

/* One fixed vector through both engines: 0 when they agree.  Nothing
 * here is secret (the password is a fixed pattern), so nothing is wiped. */
static int
self_test_case(const unsigned char *password, size_t i)
{
	unsigned char	 want[SELF_TEST_MAX_OUT], got[SELF_TEST_MAX_OUT];
	const char	*salt = self_test_cases[i].salt;
	size_t		 outlen = self_test_cases[i].outlen;

	if (pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, password,
	    self_test_cases[i].password_len, salt, strlen(salt),
	    self_test_cases[i].iterations, want, outlen) == -1 ||
	    pbkdf2_sha256(PBKDF2_ENGINE_FAST, password,
	    self_test_cases[i].password_len, salt, strlen(salt),
	    self_test_cases[i].iterations, got, outlen) == -1)
		return -1;
	return CRYPTO_memcmp(want, got, outlen) == 0 ? 0 : -1;
}

int
pbkdf2_self_test(void)
{
	unsigned char	password[SELF_TEST_MAX_PASSWORD];
	size_t		i;

	if (!pbkdf2_fast_available())
		return -1;
	for (i = 0; i < sizeof(password); i++)
		password[i] = (unsigned char)(i * 167 + 13);
	for (i = 0; i < sizeof(self_test_cases) / sizeof(self_test_cases[0]);
	    i++)
		if (self_test_case(password, i) == -1)
			return -1;
	return 0;
}

enum pbkdf2_engine
pbkdf2_engine_checked(enum pbkdf2_engine wanted)
{
	if (wanted != PBKDF2_ENGINE_FAST)
		return wanted;
	if (pbkdf2_self_test() == 0)
		return PBKDF2_ENGINE_FAST;
	log_msg("the fast PBKDF2 engine failed its self-test against "
	    "PKCS5_PBKDF2_HMAC; using openssl");
	return PBKDF2_ENGINE_OPENSSL;
}

const char *
pbkdf2_engine_name(enum pbkdf2_engine engine)
{
	switch (engine) {
	case PBKDF2_ENGINE_OPENSSL:
		return "openssl";
	case PBKDF2_ENGINE_FAST:
		return "fast";
	}
	return "unknown";
}

int
pbkdf2_engine_parse(const char *name, enum pbkdf2_engine *engine)
{
	if (name == NULL || engine == NULL)
		return -1;
	if (strcmp(name, "openssl") == 0)
		*engine = PBKDF2_ENGINE_OPENSSL;
	else if (strcmp(name, "fast") == 0)
		*engine = PBKDF2_ENGINE_FAST;
	else
		return -1;
	return 0;
}
