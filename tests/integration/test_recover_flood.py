#!/usr/bin/env python3
"""test_recover_flood.py: one IPv6 /48 holds 65,536 /64 client keys, each
with its own recover budget; a flood from many /64s of one /48 must stop
at recover_network_limit rows per window, and the mailer takes due rows
in fair order (each network's n-th request before any network's n+1-th),
so that a legitimate request's mail goes out before its code would
expire, whatever a flood queued before it (issue 19, point 3).  The IPv4
counterpart of the /48 is the /24.  One IPv6 /32 (a provider's usual
allocation) holds 65,536 /48s, each first in the fair order: a flood
spread over many /48s of one /32 must stop at recover_provider_limit
rows per window (the IPv4 counterpart is the /16)."""

import secrets

from harness import TAP, Fixture, expect, expect_eq, expect_error
from smtpd import MailSink, Mailer, mail_settings, queue_rows

PATH = "/api/v2/account/recover/"
ENV = {"DOCUMENT_URI": PATH, "REQUEST_URI": PATH, "SCRIPT_NAME": PATH}
NET_LIMIT = 20
PROVIDER_LIMIT = 30
FLOOD = 60


def recover(f, email, addr):
    return f.cgi({"email": email}, env=dict(ENV, REMOTE_ADDR=addr))


def flood(f, addrs):
    """One recover request from each address, for a fresh address each;
    the statuses, every 429 checked for its shape and Retry-After."""
    statuses = []
    for addr in addrs:
        r = recover(f, "flood-%s@example.test" % secrets.token_hex(4), addr)
        statuses.append(r.status)
        if r.status == 429:
            expect_error(r, 429, "too_many_requests")
            expect(int(r.header("retry-after", "0")) >= 1, "Retry-After")
    return statuses


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f, tls=False, auth=False)
    f.settings.update(mail_settings(sink, recover_limit=10, recover_window=3600,
                                    recover_network_limit=NET_LIMIT,
                                    recover_provider_limit=PROVIDER_LIMIT,
                                    recover_account_interval=0,
                                    recover_account_daily_limit=1000, code_lifetime=300))
    t.setup(f.setup)
    t.setup(sink.start)
    owner, _ = t.setup(f.create_user)

    with t.claim("a flood from %d /64s of one /48 is accepted %d times, then 429 with "
                 "Retry-After, every /64 alike" % (FLOOD, NET_LIMIT)) as cl:
        statuses = flood(f, ["2001:db8:aa:%x::1" % (i + 1) for i in range(FLOOD)])
        cl.note("statuses: %s" % statuses)
        expect_eq(statuses.count(202), NET_LIMIT, "accepted")
        expect_eq(statuses[NET_LIMIT:], [429] * (FLOOD - NET_LIMIT), "refused after the limit")
        n = int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE client_net = "
                               "'2001:db8:aa::/48'"))
        expect_eq(n, NET_LIMIT, "rows queued for the /48")

    with t.claim("another /48, and an IPv4 client, are not limited by that flood"):
        expect_eq(recover(f, "x-%s@example.test" % secrets.token_hex(3),
                          "2001:db8:bb:1::1").status, 202, "another /48")
        expect_eq(recover(f, "y-%s@example.test" % secrets.token_hex(3),
                          "198.51.100.9").status, 202, "IPv4")

    with t.claim("an IPv4 /24 is one network too: its %d addresses share one budget"
                 % NET_LIMIT):
        statuses = [recover(f, "v4-%s@example.test" % secrets.token_hex(4),
                            "203.0.113.%d" % (i + 1)).status for i in range(NET_LIMIT + 3)]
        expect_eq(statuses.count(202), NET_LIMIT, "accepted")

    with t.claim("the owner's request, queued after the floods, is mailed among the "
                 "first: the mailer takes each network's first row before any "
                 "network's second (fair order), not the oldest first") as cl:
        expect_eq(recover(f, owner, "192.0.2.200").status, 202, "owner's request")
        Mailer(f).run()
        rows = queue_rows(f, "email = '%s'" % owner)
        expect_eq([r["state"] for r in rows], ["sent"], "the owner's row")
        order = [r[0] for r in f.db.sql("SELECT email FROM mail_queue WHERE finished_at "
                                         "IS NOT NULL ORDER BY finished_at, id")]
        pos = order.index(owner) + 1
        t.diag("the owner's row was number %d of %d mailed" % (pos, len(order)))
        # Rank 0: the first row of each of the 4 networks before it.
        expect(pos <= 5, "the owner's row was number %d of %d" % (pos, len(order)))

    with t.claim("a flood from %d /48s of one IPv6 /32, one request each, is accepted "
                 "%d times (recover_provider_limit), then 429; another /32 is not "
                 "limited by it" % (FLOOD, PROVIDER_LIMIT)) as cl:
        statuses = flood(f, ["3fff:100:%x:1::1" % (i + 1) for i in range(FLOOD)])
        cl.note("statuses: %s" % statuses)
        expect_eq(statuses.count(202), PROVIDER_LIMIT, "accepted")
        expect_eq(statuses[PROVIDER_LIMIT:], [429] * (FLOOD - PROVIDER_LIMIT),
                  "refused after the limit")
        n = int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE client_provider = "
                               "'3fff:100::/32'"))
        expect_eq(n, PROVIDER_LIMIT, "rows queued for the /32")
        expect_eq(recover(f, "z-%s@example.test" % secrets.token_hex(3),
                          "3fff:200:1:1::1").status, 202, "another /32")

    with t.claim("an IPv4 /16 is one provider block too: requests from %d of its /24s "
                 "are accepted %d times" % (PROVIDER_LIMIT + 5, PROVIDER_LIMIT)):
        statuses = [recover(f, "w4-%s@example.test" % secrets.token_hex(4),
                            "100.77.%d.1" % (i + 1)).status
                    for i in range(PROVIDER_LIMIT + 5)]
        expect_eq(statuses.count(202), PROVIDER_LIMIT, "accepted")
        expect_eq(int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE "
                                     "client_provider = '100.77.0.0/16'")),
                  PROVIDER_LIMIT, "rows queued")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
