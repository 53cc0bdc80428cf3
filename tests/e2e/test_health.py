#!/usr/bin/env python3
"""test_health.py: GET /api/v2/account/health through nginx (and Apache
mod_proxy_fcgi), as a load balancer polls it: 200 {"status":"ok"} while a
worker reaches the database, 503 temporarily_unavailable (JSON, with
Retry-After) while the database is down, 200 again once it is back; 405
for other methods; nginx's own JSON 503 when no worker answers.  Polling
it leaves the request log alone while all is well.
"""

import time

from harness import (Fixture, TAP, expect, expect_eq, expect_error, expect_json_headers,
                     wait_for)
from webservers import Apache, Nginx, standalone_responder

HEALTH = "/api/v2/account/health"


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, db_connect_timeout=2, db_read_timeout=4,
                                db_write_timeout=4).setup())
    resp = t.setup(standalone_responder, f, workers=2)
    ng = t.setup(lambda: Nginx(resp.socket).start())
    ap = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())
    # Generous: a worker's database calls are bounded by the configured
    # connect and read timeouts.
    bound = 4 * (f.settings["db_connect_timeout"] + f.settings["db_read_timeout"]) + 10

    for name, server in (("nginx", ng), ("Apache", ap)):
        with t.claim("%s: GET %s with the database up is 200 {\"status\":\"ok\"}, JSON, "
                     "no-store" % (name, HEALTH)):
            r = server.request("GET", path=HEALTH)
            expect_eq(r.status, 200, "status; %s" % r.summary())
            expect_json_headers(r)
            expect_eq(r.json, {"status": "ok"}, "body")

        with t.claim("%s: the spelling with a trailing slash is the same endpoint" % name):
            expect_eq(server.request("GET", path=HEALTH + "/").status, 200, "status")

    with t.claim("HEAD is 200 with no body"):
        r = ng.request("HEAD", path=HEALTH)
        expect_eq((r.status, r.body), (200, b""), "status and body")

    with t.claim("POST is 405 method_not_allowed with Allow: GET, HEAD"):
        r = ng.request("POST", b"{}", {"Content-Type": "application/json"}, path=HEALTH)
        expect(r.status == 405 and (r.json or {}).get("error") == "method_not_allowed",
               r.summary())
        expect_eq(r.header("allow"), "GET, HEAD", "Allow")

    with t.claim("polling health while all is well writes no request line"):
        before = resp.log_text().count(b"request id=")
        for _ in range(5):
            ng.request("GET", path=HEALTH)
        time.sleep(0.5)
        expect_eq(resp.log_text().count(b"request id="), before, "request lines")

    f.db.stop()
    # A worker answers health from a round trip of the last second
    # (HEALTH_REUSE_MS, health.c): after a second every worker asks again.
    time.sleep(1.05)
    with t.claim("with MariaDB stopped, health is 503 temporarily_unavailable with "
                 "Retry-After, through nginx and Apache, every time"):
        for server in (ng, ap, ng, ap):
            expect_error(server.request("GET", path=HEALTH, timeout=bound), 503,
                         "temporarily_unavailable")

    with t.claim("the outage is logged with the health request's id"):
        expect(b"health: database:" in resp.log_text(), "no log line")

    f.db.start()
    with t.claim("with MariaDB back, health is 200 again (the workers reconnect by "
                 "themselves)"):
        ok = wait_for(lambda: all(ng.request("GET", path=HEALTH, timeout=bound).status == 200
                                  for _ in range(4)), bound)
        expect(ok, "still not 200: %s" % ng.request("GET", path=HEALTH).summary())

    resp.stop()
    with t.claim("with the responder stopped, nginx answers 503 in the same JSON shape"):
        expect_error(ng.request("GET", path=HEALTH), 503, "temporarily_unavailable")

    ng.stop()
    ap.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
