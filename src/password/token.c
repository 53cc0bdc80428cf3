/*
 * token.c: random secrets written in URL-safe base64, and the SHA-256
 * digests under which the database keeps them.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/rand.h>

#include "base/hex.h"
#include "password/token.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Writes len bytes as unpadded base64url at out and returns the number of
 * characters written, (4 * len + 2) / 3.  No NUL is added.
 */
static size_t
encode_b64url(const unsigned char *in, size_t len, char *out)
{
	uint32_t	 v;
	size_t		 i, o = 0;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url_alphabet[v >> 18 & 0x3f];
		out[o++] = b64url_alphabet[v >> 12 & 0x3f];
		out[o++] = b64url_alphabet[v >> 6 & 0x3f];
		out[o++] = b64url_alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[v >> 18 & 0x3f];
		out[o++] = b64url_alphabet[v >> 12 & 0x3f];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[v >> 18 & 0x3f];
		out[o++] = b64url_alphabet[v >> 12 & 0x3f];
		out[o++] = b64url_alphabet[v >> 6 & 0x3f];
	}
	return o;
}

/*
 * Draws and encodes the bytes a chunk at a time; the chunk is a multiple
 * of three bytes, so chunks encode without padding seams between them and
 * any nbytes works without an allocation.  On failure out is wiped and
 * left empty.
 */
int
random_base64url(size_t nbytes, char *out)
{
	unsigned char	 rnd[48];
	size_t		 chunk, o = 0;
	int		 rc = -1;

	if (out == NULL)
		return -1;
	out[0] = '\0';
	if (nbytes > (SIZE_MAX - 2) / 4)
		return -1;
	while (nbytes > 0) {
		chunk = nbytes < sizeof(rnd) ? nbytes : sizeof(rnd);
		if (RAND_bytes(rnd, (int)chunk) != 1)
			goto out;
		o += encode_b64url(rnd, chunk, out + o);
		nbytes -= chunk;
	}
	out[o] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (rc == -1) {
		OPENSSL_cleanse(out, o);
		out[0] = '\0';
	}
	return rc;
}

/*
 * The prototype leaves no way to report a failure, and any fixed string
 * written instead would make every failed digest equal to every other, so
 * a libcrypto that cannot hash (which the default provider never does)
 * ends the process rather than let a lookup match the wrong secret.
 */
void
sha256_hex(const void *data, size_t len, char out[SHA256_HEX_CHARS + 1])
{
	static const unsigned char empty[1];
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	if (len == 0)
		data = empty;
	/* The one-shot SHA256() skips EVP's algorithm fetch, which cost
	 * about 6,000 instructions a call (callgrind, bench). */
	if (SHA256(data, len, md) == NULL)
		abort();
	hex_encode(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}
