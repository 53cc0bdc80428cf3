/*
 * clients.h: the callers allowed to introspect tokens (RFC 7662), from
 * the file named by introspection_clients_file: one caller a line,
 *
 *     client_id  sha256-hex-of-its-secret
 *
 * '#' starts a comment.  The file holds digests only, so that reading it
 * does not hand out the secrets; a secret must be random (32 bytes from a
 * CSPRNG), which is what makes one unsalted SHA-256 enough.  The file
 * must be a regular file that neither group nor others may read or write.
 */
#ifndef AR_CLIENTS_H
#define AR_CLIENTS_H

#include <stddef.h>

#define CLIENT_ID_MAX		64	/* characters, NUL excluded */
#define CLIENTS_MAX		32
#define CLIENT_DIGEST_BYTES	32

struct introspection_client {
	char		id[CLIENT_ID_MAX + 1];
	unsigned char	digest[CLIENT_DIGEST_BYTES];
};

struct introspection_clients {
	int				n;
	struct introspection_client	c[CLIENTS_MAX];
};

/* Parses text (len bytes) into out.  -1 with "line N: what is wrong" in
 * err on a bad line, a repeated id or too many callers. */
int clients_parse(const char *text, size_t len,
    struct introspection_clients *out, char *err, size_t errlen);

/* Reads and parses path (checking that it is private).  0, or -1 with a
 * message naming the file in err. */
int clients_load(const char *path, struct introspection_clients *out,
    char *err, size_t errlen);

/* The caller named id whose secret's SHA-256 is digest, compared in
 * constant time over every entry (CRYPTO_memcmp); NULL when none. */
const struct introspection_client *clients_match(
    const struct introspection_clients *cl, const char *id,
    const unsigned char digest[CLIENT_DIGEST_BYTES]);

#endif
