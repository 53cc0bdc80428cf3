#!/usr/bin/env python3
"""test_proxy_hops.py: behind a trusted proxy, a last hop written
IPV4:PORT, [IPV6]:PORT or [IPV6] is the client and is limited like any
other; a request no client key can be found for (the hop is "unknown")
still runs without a per-client limit (failing closed would let one proxy
lock out everyone behind it), but every such request is counted in the
metrics and logged, at most one line a minute (issue 19, point 9).
Before, a port form switched the limit off for everyone, silently."""

import secrets

from harness import TAP, Fixture, expect, expect_eq, expect_error, strong_password
from prometheus import parse, scrape, value
from webservers import free_port

LIMIT = 3


def unkeyed(port):
    return value(parse(scrape(port)[2]), "account_reset_requests_unkeyed_total")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=LIMIT, attempt_window=600,
                                trusted_proxies="10.0.0.1").setup())
    port = free_port()
    args = (["--allow-root"] if __import__("os").geteuid() == 0 else []) + [
        "--metrics", "127.0.0.1:%d" % port]
    fc = t.setup(lambda: f.fastcgi(children=1, mode="listen", args=args))

    def guess(hop):
        return fc.request({"validation_code": secrets.token_urlsafe(24),
                           "password": strong_password()},
                          env={"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": hop})

    for hop, other, key in (("203.0.113.5:4711", "203.0.113.5:4712", "203.0.113.5"),
                            ("[2001:db8:7:8::9]:443", "[2001:db8:7:8::a]",
                             "2001:db8:7:8::/64")):
        with t.claim("a last hop %s is limited under its address: %d wrong codes, "
                     "then 429 (for %s too)" % (hop, LIMIT, other)):
            for _ in range(LIMIT):
                expect_error(guess(hop), 400, "invalid_validation_code")
            expect_error(guess(other), 429, "too_many_requests")
            n = f.db.sql_value("SELECT SUM(failures) FROM attempt_failures "
                               "WHERE client_key = '%s'" % key)
            expect_eq(int(n), LIMIT, "failures under %s" % key)

    with t.claim("requests whose last hop is 'unknown' are counted in "
                 "account_reset_requests_unkeyed_total, and one line in the log says "
                 "no per-client limit applied, however many there are"):
        before = unkeyed(port)
        expect(before == 0, "unkeyed before: %r" % before)
        for _ in range(5):
            expect_error(guess("unknown"), 400, "invalid_validation_code")
        after = unkeyed(port)
        expect_eq(after, 5.0, "unkeyed requests counted")
        lines = [l for l in fc.log_lines() if b"no client address" in l]
        expect_eq(len(lines), 1, "log lines about requests without a key")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
