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

#include "base/client.h"
#include "fuzz.h"

#define FIELD_MAX	1024

/*
 * The oracle below is written apart from client.c, on another footing:
 * every address is held as 16 bytes of IPv6, IPv4 as its IPv4-mapped form
 * (::ffff:a.b.c.d), and keys are checked by parsing them back and
 * comparing bytes, never by formatting text the way client.c does.
 */
static const unsigned char v4mapped[12] =
    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* The address in the len bytes at s as 16 bytes of IPv6; 0 or -1. */
static int
as_v6(const char *s, size_t len, unsigned char out[16])
{
	char		buf[64];
	struct in_addr	v4;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 0;
	if (inet_pton(AF_INET, buf, &v4) != 1)
		return -1;
	memcpy(out, v4mapped, 12);
	memcpy(out + 12, &v4.s_addr, 4);
	return 0;
}

static int
is_v4(const unsigned char a[16])
{
	return memcmp(a, v4mapped, 12) == 0;
}

/* Whether key names the client at a: an IPv4 key equal to it, or an IPv6
 * key "PREFIX/64" whose low half is zero and whose high half is a's. */
static int
key_names(const char *key, const unsigned char a[16])
{
	unsigned char	k[16];
	const char	*slash = strchr(key, '/');

	if (slash == NULL)
		return is_v4(a) && as_v6(key, strlen(key), k) == 0 &&
		    is_v4(k) && memcmp(k, a, 16) == 0;
	if (is_v4(a) || strcmp(slash, "/64") != 0 ||
	    as_v6(key, (size_t)(slash - key), k) == -1 || is_v4(k))
		return 0;
	return memcmp(k, a, 8) == 0 &&
	    memcmp(k + 8, "\0\0\0\0\0\0\0\0", 8) == 0;
}

/* Whether one of the comma-separated hops of fwd (spaces and tabs around
 * a hop ignored) is an address that key names. */
/* A hop's address, in the forms the program reads: the address alone,
 * IPv4 with a port (ip:port), IPv6 in brackets with or without a port
 * ([v6] and [v6]:port).  0, or -1 when the hop names none. */
static int
hop_address(const char *h, size_t n, unsigned char a[16])
{
	const char	*colon, *close;

	if (as_v6(h, n, a) == 0)
		return 0;
	if (n > 0 && h[0] == '[') {
		close = memchr(h, ']', n);
		if (close == NULL || (close + 1 != h + n && close[1] != ':'))
			return -1;
		return as_v6(h + 1, (size_t)(close - h - 1), a);
	}
	colon = memchr(h, ':', n);
	if (colon == NULL || memchr(colon + 1, ':', n - (size_t)(colon + 1 - h)))
		return -1;
	return as_v6(h, (size_t)(colon - h), a);
}

static int
key_is_a_hop(const char *fwd, const char *key)
{
	unsigned char	 a[16];
	const char	*h = fwd, *e;

	for (;;) {
		while (*h == ' ' || *h == '\t')
			h++;
		e = h + strcspn(h, ",");
		while (e > h && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (hop_address(h, (size_t)(e - h), a) == 0 &&
		    key_names(key, a))
			return 1;
		h += strcspn(h, ",");
		if (*h++ == '\0')
			return 0;
	}
}

/* Whether a lies in net, by whole bits taken from the mapped form. */
static int
in_net(const struct cidr *net, const unsigned char a[16])
{
	const unsigned char	*x = a;
	unsigned		 i;

	if ((net->family == AF_INET) != is_v4(a))
		return 0;
	if (net->family == AF_INET)
		x = a + 12;
	for (i = 0; i < net->bits; i++)
		if (((net->addr[i / 8] >> (7 - i % 8)) & 1) !=
		    ((x[i / 8] >> (7 - i % 8)) & 1))
			return 0;
	return 1;
}

static int
trusted_peer(const struct proxies *trusted, const unsigned char a[16])
{
	size_t	i;

	for (i = 0; i < trusted->count; i++)
		if (in_net(&trusted->net[i], a))
			return 1;
	return 0;
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
	int			 has_fwd, rc, rc_alone;

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
	if (as_v6(remote, strlen(remote), addr) == -1) {
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
	if (trusted_peer(&trusted, addr)) {
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

	FUZZ_CHECK(key_names(alone, addr),
	    "without the header the key is REMOTE_ADDR's (its /64 for IPv6)");
	FUZZ_CHECK(strcmp(key, alone) == 0, "only a trusted proxy's "
	    "header is believed: a client cannot choose its key");

	FUZZ_CHECK(strcmp(key, alone) == 0 || key_is_a_hop(fwd, key),
	    "the key is REMOTE_ADDR's or a hop's of the header");

	/* Every address of one IPv6 /64 is one client.  (Bytes 8..11 are
	 * left alone when the top half is zero, where changing them could
	 * make an IPv4-mapped address, which is IPv4.) */
	if (!is_v4(addr)) {
		for (i = memcmp(addr, "\0\0\0\0\0\0\0\0", 8) == 0 ? 12 : 8;
		    i < 16; i++)
			addr[i] ^= (unsigned char)(0xa5 + i);
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		if (!trusted_peer(&trusted, addr)) /* a proxy in the /64 is another case */
			FUZZ_CHECK(client_key(text, NULL, &trusted, other) == 0 &&
			    strcmp(other, alone) == 0, "one /64, one key");
	}
	return 0;
}
