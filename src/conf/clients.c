/*
 * clients.c: the introspection callers' file (see clients.h).
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/clients.h"
#include "conf/config.h"
#include "base/fdio.h"
#include "base/hex.h"

#define CLIENTS_FILE_MAX	(16 * 1024)

/* One line, NUL-terminated and trimmed; 0, 1 (blank or comment) or -1. */
static int
parse_line(char *line, struct introspection_client *c, const char **why)
{
	char	*id, *hex, *rest;
	size_t	 i;
	int	 hi, lo;

	line = config_trim(line);
	if (*line == '\0' || *line == '#')
		return 1;
	id = line;
	hex = id + strcspn(id, " \t");
	if (*hex == '\0') {
		*why = "expected a client id and the SHA-256 of its secret";
		return -1;
	}
	*hex++ = '\0';
	hex += strspn(hex, " \t");
	rest = hex + strcspn(hex, " \t");
	if (*rest != '\0' && *config_trim(rest + 1) != '\0') {
		*why = "more than two words";
		return -1;
	}
	*rest = '\0';
	if (strlen(id) > CLIENT_ID_MAX) {
		*why = "client id longer than 64 characters";
		return -1;
	}
	for (i = 0; id[i] != '\0'; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == ':' ||
		    (unsigned char)id[i] >= 0x7f) {
			*why = "client id: printable ASCII without ':'";
			return -1;
		}
	if (strlen(hex) != 2 * CLIENT_DIGEST_BYTES) {
		*why = "the digest is not 64 hex digits";
		return -1;
	}
	for (i = 0; i < CLIENT_DIGEST_BYTES; i++) {
		if ((hi = hex_digit(hex[2 * i])) < 0 ||
		    (lo = hex_digit(hex[2 * i + 1])) < 0) {
			*why = "the digest is not 64 hex digits";
			return -1;
		}
		c->digest[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(c->id, id, strlen(id) + 1);
	return 0;
}

int
clients_parse(const char *text, size_t len, struct introspection_clients *out,
    char *err, size_t errlen)
{
	char		 line[512];
	const char	*p = text, *end = text + len, *nl, *why = NULL;
	size_t		 n;
	int		 lineno = 0, i, r;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %d: too long", lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl != NULL ? nl + 1 : end;
		if (out->n == CLIENTS_MAX && *config_trim(line) != '\0' &&
		    *config_trim(line) != '#') {
			snprintf(err, errlen, "line %d: more than %d callers",
			    lineno, CLIENTS_MAX);
			return -1;
		}
		if (out->n < CLIENTS_MAX &&
		    (r = parse_line(line, &out->c[out->n], &why)) != 1) {
			if (r == -1) {
				snprintf(err, errlen, "line %d: %s", lineno, why);
				OPENSSL_cleanse(out, sizeof(*out));
				return -1;
			}
			for (i = 0; i < out->n; i++)
				if (strcmp(out->c[i].id, out->c[out->n].id) == 0) {
					snprintf(err, errlen, "line %d: client "
					    "id %s is listed twice", lineno,
					    out->c[i].id);
					return -1;
				}
			out->n++;
		}
	}
	return 0;
}

int
clients_load(const char *path, struct introspection_clients *out, char *err,
    size_t errlen)
{
	char		text[CLIENTS_FILE_MAX], msg[256];
	struct stat	st;
	size_t		len = 0;
	int		fd, rc = -1;

	if ((fd = fd_open_regular(path, &st, err, errlen)) == -1)
		return -1;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: group or others may use it (mode "
		    "%03o); make it 0600 or 0400", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size >= (off_t)sizeof(text)) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path,
		    sizeof(text) - 1);
		goto out;
	}
	if (fd_read_all(fd, text, (size_t)st.st_size, &len) == -1) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	if (clients_parse(text, len, out, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return rc;
}

const struct introspection_client *
clients_match(const struct introspection_clients *cl, const char *id,
    const unsigned char digest[CLIENT_DIGEST_BYTES])
{
	const struct introspection_client	*found = NULL;
	int					 i, same;

	/* Every entry is compared, so that the time does not tell which
	 * ids exist or how far a digest matched. */
	for (i = 0; i < cl->n; i++) {
		same = CRYPTO_memcmp(cl->c[i].digest, digest,
		    CLIENT_DIGEST_BYTES) == 0;
		if (same && strcmp(cl->c[i].id, id) == 0)
			found = &cl->c[i];
	}
	return found;
}
