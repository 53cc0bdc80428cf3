#!/usr/bin/env python3
"""test_health_flood.py: a flood of health checks must not become a flood
of database round trips (issue 19, "Also": the health endpoint pinged
the database on every call, and the Apache examples have no request
limit in front of it).  Each worker answers health from its last round
trip for a second (HEALTH_REUSE_MS, src/api/health.c), so N workers make
at most N round trips a second whatever the rate of checks, through any
web server.  Attacked the way a client would: 4 connections at once
sending 400 checks through Apache's FastCGI example (which limits
nothing), counting the round trips in the responder's metrics."""

import math
import os
import time

from harness import (FastCGIResponder, Fixture, TAP, expect, expect_eq, run_parallel)
from prometheus import parse, scrape, value
from webservers import Apache, free_port, share_with_web_user, web_user_args, WEB_USER

HEALTH = "/api/v2/account/health/"
WORKERS = 2
CHECKS = 400
CLIENTS = 4


def db_checks(port):
    return value(parse(scrape(port)[2]), "account_reset_health_db_checks_total")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    port = free_port()

    def start():
        share_with_web_user(f, WEB_USER, config=False)
        r = FastCGIResponder(f, children=WORKERS, mode="listen",
                             args=web_user_args(WEB_USER) + ["--socket-group", WEB_USER,
                                                             "--metrics", "127.0.0.1:%d" % port])
        os.chmod(r.dir, 0o711)
        return r.start()
    resp = t.setup(start)
    ap = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())

    with t.claim("%d health checks from %d clients at once through Apache: all 200, and "
                 "at most one database round trip a second per worker (%d workers)"
                 % (CHECKS, CLIENTS, WORKERS)) as cl:
        before = db_checks(port)
        expect(before is not None, "no account_reset_health_db_checks_total")

        def client():
            return [ap.request("GET", path=HEALTH).status for _ in range(CHECKS // CLIENTS)]
        start = time.monotonic()
        results = run_parallel([client] * CLIENTS)
        elapsed = time.monotonic() - start
        statuses = [s for r in results if isinstance(r, list) for s in r]
        expect_eq(len(statuses), CHECKS, "answers (%r)" % [r for r in results
                                                           if not isinstance(r, list)])
        expect_eq(set(statuses), {200}, "statuses")
        made = db_checks(port) - before
        # Each worker: one round trip, then none for a second, ...
        bound = WORKERS * (math.ceil(elapsed) + 1)
        cl.note("%d checks in %.2f s made %d database round trips (bound %d)"
                % (CHECKS, elapsed, made, bound))
        t.diag("%d checks in %.2f s: %d database round trips" % (CHECKS, elapsed, made))
        expect(1 <= made <= bound, "%d round trips for %d checks in %.2f s (at most %d)"
               % (made, CHECKS, elapsed, bound))

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
