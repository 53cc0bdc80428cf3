/*
 * fuzz_client.c: who is asking (client.h), from REMOTE_ADDR and the
 * proxy header, which any client can fill with what it likes.
 *
 * Input: REMOTE_ADDR '\n' the proxy header '\n' trusted_proxies (the
 * config value).  Without a second line there is no proxy header; a
 * trusted_proxies value that does not parse is replaced by a fixed list
 * (loopback, 10/8, fd00::/8, unix) so that the header is still walked.
 *
 * What must hold:
 *   - a client that is not a trusted proxy cannot choose its key: the
 *     header changes nothing unless REMOTE_ADDR is trusted (or is no
 *     address, and "unix" peers are trusted);
 *   - a trusted proxy gives the key of one hop of its header, or none:
 *     never its own address, which all its clients would share;
 *   - without an address to go by there is no key at all (-1), never a
 *     shared one;
 *   - the key is REMOTE_ADDR's or one hop's of the header, never made up;
 *   - a key is an IPv4 address, or an IPv6 /64 with its low half zero,
 *     so every address of one /64 counts as one client;
 *   - client_parse_proxies keeps at most CLIENT_MAX_PROXIES prefixes of
 *     a length their family allows, or says what is wrong.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "client.h"
#include "fuzz.h"

#define FIELD_MAX	1024

/* An address as the spec reads it (IPv4-mapped IPv6 is IPv4); 0 or -1. */
static int
read_addr(const char *s, size_t len, int *family, unsigned char addr[16])
{
	char	buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

/* The key an address should count under: IPv4 as is, IPv6 as its /64. */
static void
key_of(int family, const unsigned char in[16], char out[CLIENT_KEY_MAX])
{
	unsigned char	a[16];
	char		text[INET6_ADDRSTRLEN];

	memcpy(a, in, 16);
	if (family == AF_INET) {
		inet_ntop(AF_INET, a, out, CLIENT_KEY_MAX);
		return;
	}
	memset(a + 8, 0, 8);
	inet_ntop(AF_INET6, a, text, sizeof(text));
	snprintf(out, CLIENT_KEY_MAX, "%s/64", text);
}

/* Whether s (trimmed of spaces and tabs) is an address with key key. */
static int
hop_has_key(const char *s, size_t len, const char *key)
{
	char		k[CLIENT_KEY_MAX];
	unsigned char	addr[16];
	int		family;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (read_addr(s, len, &family, addr) == -1)
		return 0;
	key_of(family, addr, k);
	return strcmp(k, key) == 0;
}

/* Whether key is the key of one of the comma-separated hops of fwd. */
static int
key_is_a_hop(const char *fwd, const char *key)
{
	const char	*h, *comma;

	for (h = fwd;; h = comma + 1) {
		comma = strchr(h, ',');
		if (hop_has_key(h, comma ? (size_t)(comma - h) : strlen(h), key))
			return 1;
		if (comma == NULL)
			return 0;
	}
}

static int
in_net(const struct cidr *net, int family, const unsigned char *addr)
{
	unsigned	i;

	if (net->family != family)
		return 0;
	for (i = 0; i < net->bits; i++)
		if ((net->addr[i / 8] ^ addr[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/* Copies the next field (cut at FIELD_MAX; a NUL ends it early, as in
 * an environment) into out; 1 when a '\n' ended it, so another follows. */
static int
take_field(const uint8_t **p, const uint8_t *end, char *out)
{
	const uint8_t	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = (size_t)((nl != NULL ? nl : end) - *p);

	memcpy(out, *p, n < FIELD_MAX ? n : FIELD_MAX);
	out[n < FIELD_MAX ? n : FIELD_MAX] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return nl != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 remote[FIELD_MAX + 1], fwd[FIELD_MAX + 1];
	static char		 list[FIELD_MAX + 1];
	static struct proxies	 trusted;
	const uint8_t		*p = data, *end = data + size;
	char			 key[CLIENT_KEY_MAX], alone[CLIENT_KEY_MAX];
	char			 other[CLIENT_KEY_MAX], err[160], text[64];
	unsigned char		 addr[16];
	size_t			 i;
	int			 family, has_fwd, is_trusted, rc, rc_alone;

	has_fwd = take_field(&p, end, remote);
	(void)take_field(&p, end, fwd);
	(void)take_field(&p, end, list);

	memset(err, 0x55, sizeof(err));
	rc = client_parse_proxies(list, &trusted, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "client_parse_proxies returns 0 or -1");
	if (rc == 0) {
		FUZZ_CHECK(trusted.count <= CLIENT_MAX_PROXIES, "at most 32 proxies");
		for (i = 0; i < trusted.count; i++)
			FUZZ_CHECK((trusted.net[i].family == AF_INET &&
			    trusted.net[i].bits <= 32) ||
			    (trusted.net[i].family == AF_INET6 &&
			    trusted.net[i].bits <= 128), "prefix lengths fit");
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0',
		    "a refused list says why");
		FUZZ_CHECK(client_parse_proxies("127.0.0.1 10.0.0.0/8 ::1 "
		    "fd00::/8 unix", &trusted, err, sizeof(err)) == 0,
		    "the fixed list parses");
	}

	rc = client_key(remote, has_fwd ? fwd : NULL, &trusted, key);
	rc_alone = client_key(remote, NULL, &trusted, alone);
	FUZZ_CHECK((rc == 0 || rc == -1) && (rc_alone == 0 || rc_alone == -1),
	    "client_key returns 0 or -1");
	if (read_addr(remote, strlen(remote), &family, addr) == -1) {
		/* A peer that is no address (nginx's "unix:"): only a header
		 * from a trusted unix peer can name the client. */
		FUZZ_CHECK(rc_alone == -1, "no address, no header: no key");
		if (!trusted.unix_peers || !has_fwd)
			FUZZ_CHECK(rc == -1, "no address and no trusted unix "
			    "peer: no key, never a shared one");
		else if (rc == 0)
			FUZZ_CHECK(memchr(key, '\0', sizeof(key)) != NULL &&
			    key_is_a_hop(fwd, key),
			    "a unix peer's client is one hop of its header");
		return 0;
	}
	is_trusted = 0;
	for (i = 0; i < trusted.count; i++)
		is_trusted |= in_net(&trusted.net[i], family, addr);
	if (is_trusted) {
		/* A trusted proxy must name the client in its header: its
		 * own address would be one key for all its clients. */
		FUZZ_CHECK(rc_alone == -1, "a trusted proxy without a header: "
		    "no key, never its own shared one");
		if (rc == -1)
			return 0;
		FUZZ_CHECK(has_fwd && memchr(key, '\0', sizeof(key)) != NULL &&
		    key_is_a_hop(fwd, key),
		    "a trusted proxy's client is one hop of its header");
		return 0;
	}
	FUZZ_CHECK(rc == 0 && rc_alone == 0,
	    "a key for every untrusted REMOTE_ADDR that is an address");
	FUZZ_CHECK(memchr(key, '\0', sizeof(key)) != NULL, "a terminated key");

	key_of(family, addr, other);
	FUZZ_CHECK(strcmp(alone, other) == 0,
	    "without the header the key is REMOTE_ADDR's (its /64 for IPv6)");
	FUZZ_CHECK(strcmp(key, alone) == 0, "only a trusted proxy's "
	    "header is believed: a client cannot choose its key");

	FUZZ_CHECK(strcmp(key, alone) == 0 || key_is_a_hop(fwd, key),
	    "the key is REMOTE_ADDR's or a hop's of the header");

	/* Every address of one IPv6 /64 is one client.  (Bytes 8..11 are
	 * left alone when the top half is zero, where changing them could
	 * make an IPv4-mapped address, which is IPv4.) */
	if (family == AF_INET6) {
		for (i = memcmp(addr, "\0\0\0\0\0\0\0\0", 8) == 0 ? 12 : 8;
		    i < 16; i++)
			addr[i] ^= (unsigned char)(0xa5 + i);
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		is_trusted = 0;
		for (i = 0; i < trusted.count; i++)
			is_trusted |= in_net(&trusted.net[i], AF_INET6, addr);
		if (!is_trusted)	/* a proxy inside the /64 is another case */
			FUZZ_CHECK(client_key(text, NULL, &trusted, other) == 0 &&
			    strcmp(other, alone) == 0, "one /64, one key");
	}
	return 0;
}
