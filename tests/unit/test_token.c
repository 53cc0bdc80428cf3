/*
 * test_token.c: random tokens have the promised length and alphabet, do
 * not repeat, and sha256_hex gives the standard digests in lower case.
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "password/token.h"
#include "../tap.h"

#define DRAWS	2000

static int
is_b64url(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_lengths(void)
{
	char	 token[TOKEN_CHARS + 1], code[CODE_CHARS + 1];
	char	 buf[200];
	size_t	 n, bad = 0;

	ok(random_base64url(TOKEN_BYTES, token) == 0 &&
	    strlen(token) == TOKEN_CHARS && TOKEN_CHARS == 43,
	    "a 32-byte token is 43 characters");
	ok(random_base64url(CODE_BYTES, code) == 0 &&
	    strlen(code) == CODE_CHARS && CODE_CHARS == 32,
	    "a 24-byte code is 32 characters");

	/* Every length 0..100, across the 48-byte chunks the encoder
	 * draws, with a canary just past the promised buffer size. */
	for (n = 0; n <= 100; n++) {
		memset(buf, '#', sizeof(buf));
		if (random_base64url(n, buf) == -1 ||
		    strlen(buf) != (4 * n + 2) / 3 ||
		    buf[(4 * n + 2) / 3 + 1] != '#' || !is_b64url(buf)) {
			diag("nbytes %zu gave \"%s\"", n, buf);
			bad++;
		}
	}
	ok(bad == 0, "nbytes 0..100 give (4n+2)/3 base64url characters and "
	    "write nothing past the NUL");
	ok(random_base64url(TOKEN_BYTES, NULL) == -1,
	    "a NULL output returns -1");
}

/* Over many draws every character shows up and nothing repeats. */
static void
test_draws(void)
{
	static char	 tokens[DRAWS][TOKEN_CHARS + 1];
	char		*sorted[DRAWS];
	int		 seen[256], alphabet_ok = 1, missing = 0, dups = 0;
	int		 i;
	const char	*p;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < DRAWS; i++) {
		if (random_base64url(TOKEN_BYTES, tokens[i]) == -1 ||
		    !is_b64url(tokens[i]))
			alphabet_ok = 0;
		for (p = tokens[i]; *p != '\0'; p++)
			seen[(unsigned char)*p]++;
		sorted[i] = tokens[i];
	}
	ok(alphabet_ok, "%d tokens use only A-Z a-z 0-9 - _ and no padding",
	    DRAWS);
	for (p = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"; *p != '\0'; p++)
		if (seen[(unsigned char)*p] == 0)
			missing++;
	ok(missing == 0, "all 64 base64url characters occur across %d tokens",
	    DRAWS);

	qsort(sorted, DRAWS, sizeof(sorted[0]), compare_strings);
	for (i = 1; i < DRAWS; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			dups++;
	ok(dups == 0, "%d tokens are all different", DRAWS);
}

/* The one hex encoder: every byte value, and random ids of the asked
 * length. */
static void
test_hex(void)
{
	static const unsigned char	 bytes[] = { 0x00, 0x09, 0x7f, 0xa5, 0xff };
	char				 out[65], other[65];
	size_t				 i, bad = 0;

	hex_encode(bytes, sizeof(bytes), out);
	ok(strcmp(out, "00097fa5ff") == 0, "hex_encode writes lower-case "
	    "digits, two a byte, and a NUL");
	hex_encode(bytes, 0, out);
	ok(out[0] == '\0', "hex_encode of nothing is the empty string");
	ok(hex_random(16, out) == 0 && strlen(out) == 32, "hex_random(16) "
	    "writes 32 digits");
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= '0' && out[i] <= '9') ||
		    (out[i] >= 'a' && out[i] <= 'f')))
			bad++;
	ok(bad == 0, "... all of them lower-case hex");
	ok(hex_random(16, other) == 0 && strcmp(out, other) != 0,
	    "two draws differ");
	ok(hex_random(33, out) == -1 && out[0] == '\0', "more than 32 bytes "
	    "is refused, leaving the empty string");
}

static void
test_sha256_hex(void)
{
	char hex[SHA256_HEX_CHARS + 1];

	sha256_hex("abc", 3, hex);
	ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0,
	    "sha256_hex(\"abc\") is the FIPS 180-2 digest in lower case");
	sha256_hex("", 0, hex);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855") == 0,
	    "sha256_hex of the empty string is the standard digest");
	sha256_hex(NULL, 0, hex);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855") == 0,
	    "sha256_hex(NULL, 0) equals the digest of the empty string");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, hex);
	if (!ok(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1") == 0,
	    "sha256_hex of the two-block FIPS 180-2 message is correct"))
		diag("got %s", hex);
}

int
main(void)
{
	test_lengths();
	test_draws();
	test_hex();
	test_sha256_hex();
	return done_testing();
}
