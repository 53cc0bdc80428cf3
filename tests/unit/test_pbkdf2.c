/*
 * test_pbkdf2.c: both PBKDF2 engines give the published PBKDF2-HMAC-SHA256
 * answers, the fast engine agrees with PKCS5_PBKDF2_HMAC byte for byte on
 * random and boundary inputs, and bad arguments are refused.
 *
 * The random cases come from a fixed seed, printed as a diagnostic, so a
 * failure can be replayed; AR_TEST_SEED picks another seed.
 */
#include "ac-config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password/pbkdf2.h"
#include "../tap.h"

#define MAX_PASSWORD	200
#define MAX_SALT	100
#define MAX_OUT		100

static const char *fast_missing = "fast engine not built (no SHA256_Transform)";

/* A TAP claim that was not checked, which the driver counts as skipped. */
static void
skip(const char *why, const char *desc)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_count, desc, why);
	fflush(stdout);
}

/* xorshift64*: reproducible test inputs, nothing to do with secrets. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A uniform-enough number in lo..hi for picking test sizes. */
static size_t
rng_range(size_t lo, size_t hi)
{
	return lo + (size_t)(rng_next() % (hi - lo + 1));
}

static void
rng_fill(unsigned char *p, size_t len)
{
	while (len-- > 0)
		*p++ = (unsigned char)(rng_next() >> 56);
}

static void
to_hex(const unsigned char *p, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Published vectors; lengths are explicit because two contain NULs. */
static const struct {
	const char	*source;
	const char	*password;
	size_t		 password_len;
	const char	*salt;
	size_t		 salt_len;
	unsigned long	 iterations;
	const char	*want;
} vectors[] = {
	{ "RFC 7914 s.11 P=\"passwd\" S=\"salt\" c=1 dkLen=64",
	    "passwd", 6, "salt", 4, 1,
	    "55ac046e56e3089fec1691c22544b605"
	    "f94185216dde0465e68b9d57c20dacbc"
	    "49ca9cccf179b645991664b39d77ef31"
	    "7c71b845b1e30bd509112041d3a19783" },
	{ "RFC 7914 s.11 P=\"Password\" S=\"NaCl\" c=80000 dkLen=64",
	    "Password", 8, "NaCl", 4, 80000,
	    "4ddcd8f60b98be21830cee5ef22701f9"
	    "641a4418d04c0414aeff08876b34ab56"
	    "a1d425a1225833549adb841b51c9b317"
	    "6a272bdebba1d078478f62b397f33c8d" },
	{ "P=\"password\" S=\"salt\" c=1 dkLen=32",
	    "password", 8, "salt", 4, 1,
	    "120fb6cffcf8b32c43e7225256c4f837"
	    "a86548c92ccc35480805987cb70be17b" },
	{ "P=\"password\" S=\"salt\" c=2 dkLen=32",
	    "password", 8, "salt", 4, 2,
	    "ae4d0c95af6b46d32d0adff928f06dd0"
	    "2a303f8ef3c251dfd6e2d85a95474c43" },
	{ "P=\"password\" S=\"salt\" c=4096 dkLen=32",
	    "password", 8, "salt", 4, 4096,
	    "c5e478d59288c841aa530db6845c4c8d"
	    "962893a001ce4e11a4963873aa98134a" },
	{ "P=\"passwordPASSWORDpassword\" S=\"saltSALT...\" c=4096 "
	    "dkLen=40",
	    "passwordPASSWORDpassword", 24,
	    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096,
	    "348c89dbcbd32b2f32d814b8116e84cf"
	    "2b17347ebc1800181c4e2a1fb8dd53e1"
	    "c635518c7dac47e9" },
	{ "P=\"pass\\0word\" S=\"sa\\0lt\" c=4096 dkLen=16",
	    "pass\0word", 9, "sa\0lt", 5, 4096,
	    "89b69d0516f829893c696226650a8687" },
};

static void
test_vectors(enum pbkdf2_engine engine)
{
	unsigned char	 out[MAX_OUT];
	char		 got[2 * MAX_OUT + 1];
	const char	*name = pbkdf2_engine_name(engine);
	size_t		 i, outlen;
	int		 rc;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		if (engine == PBKDF2_ENGINE_FAST && !pbkdf2_fast_available()) {
			snprintf(got, sizeof(got), "fast engine gives the "
			    "known answer for %s", vectors[i].source);
			skip(fast_missing, got);
			continue;
		}
		outlen = strlen(vectors[i].want) / 2;
		rc = pbkdf2_sha256(engine, vectors[i].password,
		    vectors[i].password_len, vectors[i].salt,
		    vectors[i].salt_len, vectors[i].iterations, out, outlen);
		if (rc == 0)
			to_hex(out, outlen, got);
		else
			strcpy(got, "(failed)");
		if (!ok(rc == 0 && strcmp(got, vectors[i].want) == 0,
		    "%s engine gives the known answer for %s", name,
		    vectors[i].source))
			diag("got %s", got);
	}
}

/*
 * Runs both engines on one input; returns 1 when they agree.  The output
 * buffers carry a canary past outlen, so writing too much also fails.
 */
static int
engines_agree(const unsigned char *password, size_t password_len,
    const unsigned char *salt, size_t salt_len, unsigned long iterations,
    size_t outlen)
{
	unsigned char want[MAX_OUT + 1], got[MAX_OUT + 1];

	memset(want, 0xa5, sizeof(want));
	memset(got, 0xa5, sizeof(got));
	if (pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, password, password_len,
	    salt, salt_len, iterations, want, outlen) == -1 ||
	    pbkdf2_sha256(PBKDF2_ENGINE_FAST, password, password_len,
	    salt, salt_len, iterations, got, outlen) == -1 ||
	    memcmp(want, got, outlen) != 0 || got[outlen] != 0xa5) {
		diag("disagree: password_len %zu salt_len %zu iterations %lu "
		    "outlen %zu", password_len, salt_len, iterations, outlen);
		return 0;
	}
	return 1;
}

/* Password and salt lengths where HMAC and SHA-256 padding change shape. */
static void
test_boundaries(void)
{
	static const size_t password_lens[] = {
		0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 128, 129, 200
	};
	/* salt || INT(i) after the key block: 51 and 52 straddle the
	 * 55-byte limit for one padded block, 60 fills a block exactly. */
	static const size_t salt_lens[] = { 0, 1, 16, 51, 52, 59, 60, 61, 100 };
	static const size_t outlens[] = { 1, 31, 32, 33, 64, 65, 100 };
	unsigned char	 password[MAX_PASSWORD], salt[MAX_SALT];
	size_t		 i, j, cases = 0, agreed = 0;

	if (!pbkdf2_fast_available()) {
		skip(fast_missing, "fast engine matches PKCS5_PBKDF2_HMAC at "
		    "block-boundary password and salt lengths");
		skip(fast_missing, "fast engine matches PKCS5_PBKDF2_HMAC for "
		    "outputs of one to four blocks");
		return;
	}
	rng_fill(password, sizeof(password));
	rng_fill(salt, sizeof(salt));
	for (i = 0; i < sizeof(password_lens) / sizeof(password_lens[0]); i++)
		for (j = 0; j < sizeof(salt_lens) / sizeof(salt_lens[0]); j++) {
			cases++;
			agreed += engines_agree(password, password_lens[i],
			    salt, salt_lens[j], 1 + (i + j) % 3, 32);
		}
	ok(agreed == cases, "fast engine matches PKCS5_PBKDF2_HMAC at "
	    "block-boundary password and salt lengths (%zu cases)", cases);

	cases = agreed = 0;
	for (i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++) {
		cases++;
		agreed += engines_agree(password, 20, salt, 16, 5, outlens[i]);
	}
	ok(agreed == cases, "fast engine matches PKCS5_PBKDF2_HMAC for "
	    "outputs of one to four blocks, writing no byte past outlen");
}

static void
test_random(void)
{
	static const unsigned long large[] = { 1000, 4096, 10000, 100000 };
	unsigned char	 password[MAX_PASSWORD], salt[MAX_SALT];
	size_t		 i, plen, slen, outlen, cases = 0, agreed = 0;
	unsigned long	 iterations;

	if (!pbkdf2_fast_available()) {
		skip(fast_missing, "fast engine matches PKCS5_PBKDF2_HMAC on "
		    "random inputs");
		skip(fast_missing, "fast engine matches PKCS5_PBKDF2_HMAC on "
		    "random inputs with large iteration counts");
		return;
	}
	for (i = 0; i < 400; i++) {
		plen = rng_range(0, MAX_PASSWORD);
		slen = rng_range(0, MAX_SALT);
		iterations = rng_range(1, 50);
		outlen = rng_range(1, MAX_OUT);
		rng_fill(password, plen);
		rng_fill(salt, slen);
		cases++;
		agreed += engines_agree(password, plen, salt, slen,
		    iterations, outlen);
	}
	ok(agreed == cases, "fast engine matches PKCS5_PBKDF2_HMAC on %zu "
	    "random inputs (password 0..%d, salt 0..%d, iterations 1..50, "
	    "outlen 1..%d bytes)", cases, MAX_PASSWORD, MAX_SALT, MAX_OUT);

	cases = agreed = 0;
	for (i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
		plen = rng_range(0, MAX_PASSWORD);
		slen = rng_range(0, MAX_SALT);
		outlen = rng_range(1, MAX_OUT);
		rng_fill(password, plen);
		rng_fill(salt, slen);
		cases++;
		agreed += engines_agree(password, plen, salt, slen, large[i],
		    outlen);
	}
	ok(agreed == cases, "fast engine matches PKCS5_PBKDF2_HMAC on "
	    "random inputs with 1000 to 100000 iterations");
}

static void
test_self_test(void)
{
	unsigned char out[32];

	if (pbkdf2_fast_available()) {
		ok(pbkdf2_self_test() == 0, "pbkdf2_self_test passes when the "
		    "fast engine is built");
		return;
	}
	ok(pbkdf2_self_test() == -1, "pbkdf2_self_test fails when the fast "
	    "engine is missing");
	ok(pbkdf2_sha256(PBKDF2_ENGINE_FAST, "pw", 2, "salt", 4, 1, out,
	    sizeof(out)) == -1, "the fast engine is refused when not built");
}

static void
test_names(void)
{
	static const char *bad[] = {
		"", "OpenSSL", "FAST", "fast ", " fast", "openssl\n", "pkcs5"
	};
	enum pbkdf2_engine engine;
	size_t i, rejected = 0;

	ok(pbkdf2_engine_parse("openssl", &engine) == 0 &&
	    engine == PBKDF2_ENGINE_OPENSSL, "\"openssl\" names the OpenSSL "
	    "engine");
	ok(pbkdf2_engine_parse("fast", &engine) == 0 &&
	    engine == PBKDF2_ENGINE_FAST, "\"fast\" names the fast engine");
	ok(strcmp(pbkdf2_engine_name(PBKDF2_ENGINE_OPENSSL), "openssl") == 0 &&
	    strcmp(pbkdf2_engine_name(PBKDF2_ENGINE_FAST), "fast") == 0,
	    "engine names are \"openssl\" and \"fast\"");
	ok(pbkdf2_engine_parse(pbkdf2_engine_name(PBKDF2_ENGINE_OPENSSL),
	    &engine) == 0 && engine == PBKDF2_ENGINE_OPENSSL &&
	    pbkdf2_engine_parse(pbkdf2_engine_name(PBKDF2_ENGINE_FAST),
	    &engine) == 0 && engine == PBKDF2_ENGINE_FAST,
	    "engine names parse back to the same engines");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected += pbkdf2_engine_parse(bad[i], &engine) == -1;
	ok(rejected == sizeof(bad) / sizeof(bad[0]) &&
	    pbkdf2_engine_parse(NULL, &engine) == -1,
	    "engine parse rejects other spellings, padding and NULL");
}

/* Each bad argument is tried on both engines; both must refuse it. */
static int
both_refuse(const void *password, size_t password_len, const void *salt,
    size_t salt_len, unsigned long iterations, unsigned char *out,
    size_t outlen)
{
	return pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, password, password_len,
	    salt, salt_len, iterations, out, outlen) == -1 &&
	    pbkdf2_sha256(PBKDF2_ENGINE_FAST, password, password_len,
	    salt, salt_len, iterations, out, outlen) == -1;
}

static void
test_bad_arguments(void)
{
	unsigned char out[32];

	ok(both_refuse("pw", 2, "salt", 4, 0, out, sizeof(out)),
	    "iterations 0 returns -1");
#if ULONG_MAX > INT_MAX
	ok(both_refuse("pw", 2, "salt", 4, (unsigned long)INT_MAX + 1, out,
	    sizeof(out)), "iterations above INT_MAX return -1");
#else
	skip("unsigned long is no wider than int", "iterations above INT_MAX "
	    "return -1");
#endif
	ok(both_refuse("pw", 2, "salt", 4, 1, out, 0),
	    "an empty output returns -1");
	ok(both_refuse("pw", 2, "salt", 4, 1, NULL, sizeof(out)),
	    "a NULL output returns -1");
	ok(both_refuse(NULL, 2, "salt", 4, 1, out, sizeof(out)),
	    "a NULL password with a length returns -1");
	ok(both_refuse("pw", 2, NULL, 4, 1, out, sizeof(out)),
	    "a NULL salt with a length returns -1");
	ok(pbkdf2_sha256((enum pbkdf2_engine)7, "pw", 2, "salt", 4, 1, out,
	    sizeof(out)) == -1, "an unknown engine returns -1");
}

/* An empty password and salt may be passed as NULL with length 0. */
static void
test_empty_inputs(void)
{
	unsigned char	 a[32], b[32];
	int		 same;

	if (pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, NULL, 0, NULL, 0, 2, a,
	    sizeof(a)) == -1 || pbkdf2_sha256(PBKDF2_ENGINE_OPENSSL, "", 0,
	    "", 0, 2, b, sizeof(b)) == -1)
		same = 0;
	else
		same = memcmp(a, b, sizeof(a)) == 0;
	ok(same, "openssl engine: NULL empty password and salt equal \"\"");
	if (!pbkdf2_fast_available()) {
		skip(fast_missing, "fast engine: NULL empty password and salt "
		    "equal \"\"");
		return;
	}
	ok(pbkdf2_sha256(PBKDF2_ENGINE_FAST, NULL, 0, NULL, 0, 2, b,
	    sizeof(b)) == 0 && memcmp(a, b, sizeof(a)) == 0,
	    "fast engine: NULL empty password and salt equal \"\"");
}

int
main(void)
{
	const char *seed = getenv("AR_TEST_SEED");

	rng_state = seed != NULL ? strtoull(seed, NULL, 0) : 0x5eed2024;
	if (rng_state == 0)
		rng_state = 1;
	diag("random cases from seed %llu (set AR_TEST_SEED to change)",
	    (unsigned long long)rng_state);
	diag("fast engine %s", pbkdf2_fast_available() ? "built" : "missing");

	test_vectors(PBKDF2_ENGINE_OPENSSL);
	test_vectors(PBKDF2_ENGINE_FAST);
	test_boundaries();
	test_random();
	test_self_test();
	test_names();
	test_bad_arguments();
	test_empty_inputs();
	return done_testing();
}
