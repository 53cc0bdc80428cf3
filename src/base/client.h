/*
 * client.h: who is asking.  The client address is REMOTE_ADDR, or, when
 * REMOTE_ADDR is one of the configured trusted proxies, the nearest
 * address in the proxy header (X-Forwarded-For by default) that is not
 * itself a trusted proxy.  Attempts are counted per client key: an IPv4
 * address, or an IPv6 address cut to its /64 (one customer's network).
 * Pure functions, no I/O.
 */
#ifndef AR_CLIENT_H
#define AR_CLIENT_H

#include <stddef.h>

#define CLIENT_KEY_MAX		64	/* "2001:db8:1:2::/64" fits easily */
#define CLIENT_MAX_PROXIES	32

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	unsigned	bits;
};

struct proxies {
	struct cidr	net[CLIENT_MAX_PROXIES];
	size_t		count;
	int		unix_peers;	/* "unix": a peer that is no address
					 * (nginx's REMOTE_ADDR "unix:") */
};

/* Parses "ADDR[/BITS] ..." (spaces or commas between); the word "unix"
 * trusts peers whose REMOTE_ADDR is not an address (a front end that
 * reaches the web server over a unix socket).  Returns 0, or -1 with what
 * is wrong in err. */
int client_parse_proxies(const char *text, struct proxies *out, char *err,
    size_t errlen);

/* The client key for a request: remote_addr (REMOTE_ADDR) and the proxy
 * header's value (may be NULL).  Returns 0, or -1 when no address can be
 * told (the caller must then not count: one shared key would let anyone
 * lock everyone out). */
int client_key(const char *remote_addr, const char *forwarded,
    const struct proxies *trusted, char out[CLIENT_KEY_MAX]);

/* The network a client key belongs to, for the limit per network: an
 * IPv4 key's /24 ("192.0.2.0/24"), an IPv6 key's /48 ("2001:db8:1::/48"),
 * the smallest block one subscriber or site is commonly given (a /64 is
 * one LAN, and a /48 holds 65,536 of them).  0, or -1 for "" or garbage. */
int client_key_network(const char *key, char out[CLIENT_KEY_MAX]);

/* The provider's block a client key belongs to, for the limit per
 * provider: an IPv4 key's /16 ("192.0.0.0/16"), an IPv6 key's /32
 * ("2001:db8::/32"), the usual allocation to one provider, which holds
 * 65,536 /48s (issue 19, point 3).  0, or -1 for "" or garbage. */
int client_key_provider(const char *key, char out[CLIENT_KEY_MAX]);

#endif
