/*
 * hex.c: the one hex encoder (see hex.h).
 */
#include "ac-config.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/hex.h"

void
hex_encode(const void *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = in;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
hex_random(size_t n, char *out)
{
	unsigned char	raw[32];

	out[0] = '\0';
	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return -1;
	hex_encode(raw, n, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
