#!/usr/bin/env python3
"""test_nginx_ipv6_zones.py: nginx.conf.example's two limit_req zones,
attacked from real IPv6 source addresses (issue 19, point 3).  The first
zone must count an IPv6 client by its /64 (one subscriber holds all of
it), the second by its /48 (65,536 /64s): a client who moves to another
address of its /64, or to another /64 of its /48, must not find a fresh
budget there, and another /48 must.

The addresses are added to the loopback interface for the test (3fff::/20,
the documentation prefix of RFC 9637) and nginx listens on [::1], so each
request really comes from the address the claim names.  The example is
rendered with a rate of 1 request a minute (nothing leaks back during
the test, however slow the machine) and the wider zone given a burst of
its own, so that the two zones can be told apart.  nginx counts a request
in its zones only when none refuses it."""

import http.client
import json
import re
import subprocess

from harness import TAP, Fixture, expect, expect_eq, on_exit
from webservers import Nginx, standalone_responder

API = "/api/v2/account/reset/"
BURST = 4            # the /64 zone: BURST + 1 requests pass, then 429
NET_BURST = BURST + 2  # the /48 zone: below 2 * BURST + 1, so that it shows
ADDRS = {
    "a": "3fff:a:1:1::1",     # one /64 ...
    "a2": "3fff:a:1:1::2",    # ... another address of it
    "b": "3fff:a:1:2::1",     # another /64 of the same /48
    "c": "3fff:a:2:1::1",     # another /48
}


def add_addresses():
    for a in ADDRS.values():
        subprocess.run(["ip", "-6", "addr", "replace", a + "/128", "dev", "lo", "nodad"],
                       check=True, capture_output=True)
        on_exit(lambda a=a: subprocess.run(["ip", "-6", "addr", "del", a + "/128",
                                            "dev", "lo"], capture_output=True))


def post_from(ng, src):
    """One POST to the reset endpoint from source address src: its status
    (400 from the program for the empty code, or 429 from limit_req)."""
    conn = http.client.HTTPConnection("::1", ng.port, timeout=30,
                                      source_address=(src, 0))
    try:
        conn.request("POST", API, body=json.dumps({"validation_code": ""}).encode(),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def per_minute_zones(ng):
    """The rendered example with both rates per minute and the /48 zone's
    burst raised; nginx reads it when started."""
    with open(ng.conf) as fh:
        text = fh.read()
    text, n = re.subn(r"rate=1r/s;", "rate=1r/m;", text)
    if n != 3:
        raise RuntimeError("expected three limit_req_zone rates, found %d" % n)
    text, n = re.subn(r"(limit_req zone=account_reset_net burst=)\d+",
                      r"\g<1>%d" % NET_BURST, text)
    if n != 1:
        raise RuntimeError("expected one limit_req for the network zone, found %d" % n)
    with open(ng.conf, "w") as fh:
        fh.write(text)


class MinuteNginx(Nginx):
    def render(self, listen):
        path = super().render(listen)
        self.conf = path
        per_minute_zones(self)
        return path


def main():
    t = TAP()
    try:
        add_addresses()
    except (OSError, subprocess.CalledProcessError) as e:
        t.skip("the IPv6 zones of nginx.conf.example", "cannot add addresses to lo "
               "here (%s)" % getattr(e, "stderr", e))
        return t.done()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    resp = t.setup(standalone_responder, f, workers=1)
    ng = t.setup(lambda: MinuteNginx(resp.socket, rate=1, burst=BURST, host="::1").start())

    with t.claim("from one IPv6 address, %d requests pass and the next are refused "
                 "with 429" % (BURST + 1)) as cl:
        statuses = [post_from(ng, ADDRS["a"]) for _ in range(BURST + 3)]
        cl.note("statuses: %s" % statuses)
        expect_eq(statuses[:BURST + 1], [400] * (BURST + 1), "the burst")
        expect_eq(statuses[BURST + 1:], [429, 429], "after the burst")

    with t.claim("another address of the same /64 finds no fresh budget: the first zone "
                 "counts the /64, not the address") as cl:
        statuses = [post_from(ng, ADDRS["a2"]) for _ in range(3)]
        cl.note("statuses: %s" % statuses)
        expect_eq(statuses, [429] * 3, "from %s" % ADDRS["a2"])

    with t.claim("another /64 of the same /48 gets only what is left of the /48's "
                 "budget (%d in all), then 429: the second zone counts the /48"
                 % (NET_BURST + 1)) as cl:
        statuses = [post_from(ng, ADDRS["b"]) for _ in range(NET_BURST + 2)]
        cl.note("statuses: %s" % statuses)
        # The /48 zone saw a's BURST + 1 (and a's and a2's refused ones,
        # which the first zone stopped before the second counted them).
        left = NET_BURST + 1 - (BURST + 1)
        expect(0 < left < BURST + 1, "the test's numbers")
        expect_eq(statuses.count(400), left, "passed from another /64 of the /48")
        expect(all(s == 429 for s in statuses[left:]), "refused after the /48's burst")

    with t.claim("another /48 is not limited by either"):
        expect_eq(post_from(ng, ADDRS["c"]), 400, "from %s" % ADDRS["c"])

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
