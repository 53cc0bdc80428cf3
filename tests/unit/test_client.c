/*
 * test_client.c: client keys (IPv4 as is, IPv6 by /64) and the trusted
 * proxy walk of X-Forwarded-For.
 */
#include "ac-config.h"

#include <string.h>

#include "../tap.h"
#include "base/client.h"

static const char *
key(const char *remote, const char *fwd, const char *trusted)
{
	static char	out[CLIENT_KEY_MAX];
	struct proxies	p;
	char		err[128];

	if (client_parse_proxies(trusted, &p, err, sizeof(err)) == -1)
		return "bad proxies";
	if (client_key(remote, fwd, &p, out) == -1)
		return "none";
	return out;
}

static int
is(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		diag("got '%s', want '%s'", got, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct proxies	p;
	char		err[128];

	ok(is(key("192.0.2.1", NULL, ""), "192.0.2.1"), "IPv4 is its own key");
	ok(is(key("2001:db8:1:2:3:4:5:6", NULL, ""), "2001:db8:1:2::/64"),
	    "IPv6 is keyed by its /64");
	ok(is(key("::ffff:192.0.2.1", NULL, ""), "192.0.2.1"),
	    "an IPv4-mapped IPv6 address is keyed as IPv4");
	ok(is(key(NULL, NULL, ""), "none"), "no REMOTE_ADDR gives no key");
	ok(is(key("not-an-address", NULL, ""), "none"), "garbage gives no key");
	ok(is(key("192.0.2.1", "6.6.6.6", ""), "192.0.2.1"),
	    "X-Forwarded-For is ignored without trusted proxies");
	ok(is(key("192.0.2.1", "6.6.6.6", "10.0.0.0/8"), "192.0.2.1"),
	    "X-Forwarded-For is ignored from an untrusted peer");
	ok(is(key("10.1.2.3", "203.0.113.9", "10.0.0.0/8"), "203.0.113.9"),
	    "from a trusted proxy the header's last hop is the client");
	ok(is(key("10.1.2.3", "6.6.6.6, 203.0.113.9", "10.0.0.0/8"),
	    "203.0.113.9"), "hops left of the first untrusted one are ignored");
	ok(is(key("10.1.2.3", "203.0.113.9 , 10.0.0.5,10.0.0.6",
	    "10.0.0.0/8"), "203.0.113.9"),
	    "trusted hops are walked past, spaces allowed");
	ok(is(key("10.1.2.3", "10.0.0.5", "10.0.0.0/8"), "10.0.0.5"),
	    "when every hop is trusted the leftmost one is the client");
	ok(is(key("10.1.2.3", "junk, 203.0.113.9", "10.0.0.0/8"),
	    "203.0.113.9"), "garbage left of the client does not matter");
	ok(is(key("10.1.2.3", "203.0.113.9, junk", "10.0.0.0/8"), "none"),
	    "garbage as the nearest hop from a trusted proxy gives no key");
	ok(is(key("10.1.2.3", "unknown", "10.0.0.0/8"), "none"),
	    "'unknown' from a trusted proxy gives no key, not the proxy's own "
	    "(which all its clients would share)");
	ok(is(key("10.1.2.3", "203.0.113.5:4711", "10.0.0.0/8"), "203.0.113.5"),
	    "a hop written IPV4:PORT is keyed by its address (issue 19, point 9)");
	ok(is(key("10.1.2.3", "[2001:db8:7:8::9]:4711", "10.0.0.0/8"),
	    "2001:db8:7:8::/64") &&
	    is(key("10.1.2.3", "[2001:db8:7:8::9]", "10.0.0.0/8"),
	    "2001:db8:7:8::/64"),
	    "a hop written [IPV6]:PORT or [IPV6] is keyed by its address");
	ok(is(key("10.1.2.3", "[2001:db8::1]:x", "10.0.0.0/8"), "none") &&
	    is(key("10.1.2.3", "203.0.113.5:", "10.0.0.0/8"), "none") &&
	    is(key("10.1.2.3", "[203.0.113.5]:80", "10.0.0.0/8"), "none") &&
	    is(key("10.1.2.3", "203.0.113.5:123456", "10.0.0.0/8"), "none"),
	    "malformed port forms still give no key");
	ok(is(key("10.1.2.3", "203.0.113.9, 10.0.0.5:80", "10.0.0.0/8"),
	    "203.0.113.9"), "a trusted hop with a port is walked past");
	ok(is(key("10.1.2.3", NULL, "10.0.0.0/8"), "none"),
	    "a trusted proxy that sends no header gives no key");
	ok(is(key("fd00::1", "2001:db8:5:6::7", "fd00::/8"), "2001:db8:5:6::/64"),
	    "IPv6 proxies and clients work alike");
	ok(is(key("10.1.2.3", "", "10.0.0.0/8"), "none"),
	    "an empty header from a trusted proxy gives no key");
	ok(client_parse_proxies("10.0.0.1, 192.168.0.0/16 ::1 fd00::/8", &p, err,
	    sizeof(err)) == 0 && p.count == 4, "a proxy list parses");
	ok(client_parse_proxies("10.0.0.0/33", &p, err, sizeof(err)) == -1,
	    "an IPv4 prefix over 32 is refused");
	ok(client_parse_proxies("10.0.0.0/", &p, err, sizeof(err)) == -1,
	    "an empty prefix is refused");
	ok(client_parse_proxies("example.com", &p, err, sizeof(err)) == -1 &&
	    strstr(err, "example.com") != NULL, "a name is refused, by name");
	ok(is(key("10.200.0.1", "203.0.113.9", "10.128.0.0/9"), "203.0.113.9") &&
	    is(key("10.127.0.1", "203.0.113.9", "10.128.0.0/9"), "10.127.0.1"),
	    "prefixes that end inside a byte match exactly");
	ok(is(key("unix:", "203.0.113.9", ""), "none"),
	    "a unix-socket peer that is not trusted has no key");
	ok(is(key("unix:", "203.0.113.9", "unix"), "203.0.113.9"),
	    "with \"unix\" trusted, its header names the client");
	ok(is(key("unix:", "203.0.113.9, 10.0.0.5", "unix 10.0.0.0/8"),
	    "203.0.113.9"), "...walking past trusted hops too");
	ok(is(key("unix:", NULL, "unix"), "none") &&
	    is(key("unix:", "junk", "unix"), "none"),
	    "a trusted unix peer without a usable header has no key");
	{
		char	net[CLIENT_KEY_MAX];

		ok(client_key_network("2001:db8:1:2::/64", net) == 0 &&
		    is(net, "2001:db8:1::/48") &&
		    client_key_network("2001:db8:1:ffff::/64", net) == 0 &&
		    is(net, "2001:db8:1::/48"),
		    "every /64 of a /48 is in one network (issue 19, point 3)");
		ok(client_key_network("192.0.2.77", net) == 0 &&
		    is(net, "192.0.2.0/24"), "an IPv4 key's network is its /24");
		ok(client_key_network("", net) == -1 &&
		    client_key_network("junk", net) == -1,
		    "no key, or garbage, has no network");
		ok(client_key_provider("2001:db8:1:2::/64", net) == 0 &&
		    is(net, "2001:db8::/32") &&
		    client_key_provider("2001:db8:ffff:ffff::/64", net) == 0 &&
		    is(net, "2001:db8::/32"),
		    "every /48 of a /32 is in one provider block (issue 19, "
		    "point 3)");
		ok(client_key_provider("192.0.2.77", net) == 0 &&
		    is(net, "192.0.0.0/16"), "an IPv4 key's provider block is "
		    "its /16");
		ok(client_key_provider("", net) == -1 &&
		    client_key_provider("junk", net) == -1,
		    "no key, or garbage, has no provider block");
	}
	return done_testing();
}
