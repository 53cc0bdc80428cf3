#!/usr/bin/env python3
"""test_cgi_attempts.py: the attempt limit under CGI, with requests that
arrive together (issue 19, "Also").  Each CGI process counts its failed
code as it exits, so concurrent processes all check before any writes:
the documented bound (README section 7) is attempt_limit plus the
processes that run at once, less one, and every failure is counted, so
that the next request is refused with 429."""

import secrets

from harness import TAP, Fixture, expect, expect_eq, expect_error, run_parallel, strong_password

LIMIT = 3
CONCURRENT = 8
ADDR = "192.0.2.99"


def guess(f):
    return f.cgi({"validation_code": secrets.token_urlsafe(24), "password": strong_password()},
                 env={"REMOTE_ADDR": ADDR})


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=LIMIT,
                                attempt_window=600).setup())

    with t.claim("%d CGI guesses at once from one address: at most attempt_limit (%d) "
                 "+ %d - 1 are looked up, the rest get 429" % (CONCURRENT, LIMIT, CONCURRENT)) as cl:
        got = run_parallel([lambda: guess(f) for _ in range(CONCURRENT)])
        errors = [r for r in got if isinstance(r, BaseException)]
        expect(not errors, "requests failed: %r" % errors[:2])
        statuses = [r.status for r in got]
        cl.note("statuses %r" % statuses)
        looked_up = statuses.count(400)
        expect(looked_up <= LIMIT + CONCURRENT - 1, "%d guesses looked up" % looked_up)
        expect(all(s in (400, 429) for s in statuses), "statuses %r" % statuses)

    with t.claim("every looked-up guess was counted, and the next one is 429"):
        n = int(f.db.sql_value("SELECT COALESCE(SUM(failures), 0) FROM attempt_failures "
                               "WHERE client_key = '%s'" % ADDR))
        expect_eq(n, looked_up, "failures counted")
        expect_error(guess(f), 429, "too_many_requests")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
