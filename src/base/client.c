/*
 * client.c: client addresses and the keys attempts are counted under.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/client.h"
#include "base/number.h"

/* One address: IPv4, IPv6, or IPv4-mapped IPv6 (made IPv4).  0 or -1. */
static int
parse_addr(const char *s, size_t len, int *family, unsigned char addr[16])
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
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)addr)) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

static int
in_cidr(const struct cidr *net, int family, const unsigned char *addr)
{
	unsigned	full = net->bits / 8, rest = net->bits % 8;
	unsigned char	mask;

	if (net->family != family)
		return 0;
	if (memcmp(net->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr[full] & mask);
}

static int
trusted_addr(const struct proxies *trusted, int family,
    const unsigned char *addr)
{
	size_t	i;

	for (i = 0; trusted != NULL && i < trusted->count; i++)
		if (in_cidr(&trusted->net[i], family, addr))
			return 1;
	return 0;
}

int
client_parse_proxies(const char *text, struct proxies *out, char *err,
    size_t errlen)
{
	const char	*p = text, *start, *slash;
	char		 digits[4];
	size_t		 plen;
	size_t		 len;
	long long	 bits;
	struct cidr	*c;

	memset(out, 0, sizeof(*out));
	for (;;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != ',' && *p != '\t')
			p++;
		len = (size_t)(p - start);
		if (len == 4 && memcmp(start, "unix", 4) == 0) {
			out->unix_peers = 1;
			continue;
		}
		if (out->count == CLIENT_MAX_PROXIES) {
			snprintf(err, errlen, "more than %d entries",
			    CLIENT_MAX_PROXIES);
			return -1;
		}
		c = &out->net[out->count];
		slash = memchr(start, '/', len);
		if (parse_addr(start, slash ? (size_t)(slash - start) : len,
		    &c->family, c->addr) == -1) {
			snprintf(err, errlen, "'%.*s' is not an address",
			    (int)(len > 64 ? 64 : len), start);
			return -1;
		}
		c->bits = c->family == AF_INET ? 32 : 128;
		if (slash != NULL) {
			plen = (size_t)(p - slash - 1);
			if (plen == 0 || plen >= sizeof(digits))
				plen = 0;
			memcpy(digits, slash + 1, plen);
			digits[plen] = '\0';
			if (number_parse(digits, 0, c->bits, &bits) == -1) {
				snprintf(err, errlen, "'%.*s': bad prefix length",
				    (int)(len > 64 ? 64 : len), start);
				return -1;
			}
			c->bits = (unsigned)bits;
		}
		out->count++;
	}
}

/* Writes the key of one address: IPv4 as it is, IPv6 as its /64. */
static void
format_key(int family, unsigned char addr[16], char out[CLIENT_KEY_MAX])
{
	char	text[INET6_ADDRSTRLEN];

	if (family == AF_INET) {
		inet_ntop(AF_INET, addr, out, CLIENT_KEY_MAX);
		return;
	}
	memset(addr + 8, 0, 8);
	inet_ntop(AF_INET6, addr, text, sizeof(text));
	snprintf(out, CLIENT_KEY_MAX, "%s/64", text);
}

/* A hop as proxies write it: ADDR, IPV4:PORT, [IPV6] or [IPV6]:PORT.
 * Strips the brackets and the port so that the address parses: a hop
 * with a port must not go unkeyed (and so unlimited).  0 or -1. */
static int
parse_hop(const char *s, size_t len, int *family, unsigned char addr[16])
{
	const char	*close, *colon;
	size_t		 i, rest;

	if (len > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', len)) == NULL)
			return -1;
		rest = len - (size_t)(close - s) - 1;
		if (rest > 0) {
			if (close[1] != ':' || rest < 2 || rest > 6)
				return -1;
			for (i = 2; i <= rest; i++)
				if (!isdigit((unsigned char)close[i]))
					return -1;
		}
		if (parse_addr(s + 1, (size_t)(close - s - 1), family,
		    addr) == -1 || *family != AF_INET6)
			return -1;
		return 0;
	}
	if (parse_addr(s, len, family, addr) == 0)
		return 0;
	/* IPV4:PORT: one colon (more would be IPv6), digits after it. */
	if ((colon = memchr(s, ':', len)) == NULL ||
	    memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) != NULL)
		return -1;
	rest = len - (size_t)(colon - s) - 1;
	if (rest == 0 || rest > 5)
		return -1;
	for (i = 1; i <= rest; i++)
		if (!isdigit((unsigned char)colon[i]))
			return -1;
	if (parse_addr(s, (size_t)(colon - s), family, addr) == -1 ||
	    *family != AF_INET)
		return -1;
	return 0;
}

/* The key's address cut to v4 bits (IPv4) or v6 bits (IPv6, whole
 * bytes), as "ADDRESS/BITS". */
static int
key_prefix(const char *key, int v4, int v6, char out[CLIENT_KEY_MAX])
{
	unsigned char	addr[16];
	char		text[INET6_ADDRSTRLEN];
	const char	*slash = strchr(key, '/');
	int		family, bits;

	if (parse_addr(key, slash != NULL ? (size_t)(slash - key) :
	    strlen(key), &family, addr) == -1)
		return -1;
	bits = family == AF_INET ? v4 : v6;
	memset(addr + bits / 8, 0, (size_t)((family == AF_INET ? 4 : 16) -
	    bits / 8));
	inet_ntop(family, addr, text, sizeof(text));
	snprintf(out, CLIENT_KEY_MAX, "%s/%d", text, bits);
	return 0;
}

int
client_key_network(const char *key, char out[CLIENT_KEY_MAX])
{
	return key_prefix(key, 24, 48, out);
}

int
client_key_provider(const char *key, char out[CLIENT_KEY_MAX])
{
	return key_prefix(key, 16, 32, out);
}

/* The hop before position end of the header: its text in *start, *len.
 * Returns the position of the separating comma (or hdr). */
static const char *
previous_hop(const char *hdr, const char *end, const char **start,
    size_t *len)
{
	const char	*s = end;

	while (s > hdr && s[-1] != ',')
		s--;
	*start = s;
	*len = (size_t)(end - s);
	while (*len > 0 && (**start == ' ' || **start == '\t')) {
		(*start)++;
		(*len)--;
	}
	while (*len > 0 && ((*start)[*len - 1] == ' ' ||
	    (*start)[*len - 1] == '\t'))
		(*len)--;
	return s > hdr ? s - 1 : hdr;
}

int
client_key(const char *remote_addr, const char *forwarded,
    const struct proxies *trusted, char out[CLIENT_KEY_MAX])
{
	unsigned char	 addr[16], hop[16];
	const char	*end, *start;
	size_t		 len;
	int		 family = 0, hop_family, peer_trusted;

	if (remote_addr != NULL &&
	    parse_addr(remote_addr, strlen(remote_addr), &family, addr) == 0)
		peer_trusted = trusted_addr(trusted, family, addr);
	else if (trusted != NULL && trusted->unix_peers && forwarded != NULL)
		peer_trusted = 1;	/* a unix-socket front end we trust */
	else
		return -1;
	/* Walk the header from the right, the hop nearest to us, for as
	 * long as the hops are proxies we trust.  The first one we do not
	 * trust is the client; anything left of it could be forged. */
	if (peer_trusted) {
		/* A trusted proxy must name the client: without a usable
		 * hop, the proxy's own address would put every client it
		 * serves under one key, and one could lock out all. */
		if (forwarded == NULL)
			return -1;
		end = forwarded + strlen(forwarded);
		family = 0;
		while (end > forwarded) {
			end = previous_hop(forwarded, end, &start, &len);
			if (parse_hop(start, len, &hop_family, hop) == -1)
				break;	/* garbage: keep the last good hop */
			memcpy(addr, hop, 16);
			family = hop_family;
			if (!trusted_addr(trusted, family, addr))
				break;
		}
		if (family == 0)
			return -1;	/* no usable hop */
	}
	format_key(family, addr, out);
	return 0;
}
