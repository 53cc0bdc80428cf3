#!/usr/bin/env python3
"""test_apache_fcgi.py: account-reset behind Apache httpd's mod_proxy_fcgi.

Apache (event MPM, workers as www-data) runs conf/apache-fcgi.conf.example
as rendered by scripts/render-conf --standalone, in front of the program's
own supervisor (account-reset --listen unix:SOCK --workers 2, workers as
www-data).  nginx, rendered from nginx.conf.example, runs in front of the
same socket, and every input is sent to both: Apache's answer must be
nginx's (status, Content-Type, Cache-Control, Pragma, X-Content-Type-Options,
Allow, Retry-After, and the JSON: error code, description, violations, or
the token object's keys and non-secret members).
"""

from harness import TAP, Fixture, expect, expect_eq, expect_error
from webservers import (expect_contract, Apache, Nginx, contract_cases, descendants, expect_same_answer,
                        standalone_responder, uid_of)

CLIENT_ID = "apache-fcgi-e2e"
SCOPE = "read write"
LIFETIME = 1800


def check(resp, want):
    expect_contract(resp, want, CLIENT_ID, SCOPE, LIFETIME)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    resp = t.setup(standalone_responder, f, workers=2)
    ng = t.setup(lambda: Nginx(resp.socket).start())
    ap = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())

    for desc, want, send in contract_cases():
        with t.claim("Apache mod_proxy_fcgi, %s: %s, the same answer as nginx's"
                     % (desc, "200 and the token" if want == ("token",)
                        else "%d %s" % want[:2])) as cl:
            a = send(ap, f)
            n = send(ng, f)
            cl.note("apache: " + a.summary())
            cl.note("nginx: " + n.summary())
            check(a, want)
            check(n, want)
            expect_same_answer(a, n, "apache")
            if want == ("token",):
                email, old, new = a.reset_user
                expect_eq(f.check_password(email, new), 0, "check-password new")
                expect_eq(f.check_password(email, old), 1, "check-password old")

    with t.claim("Apache's access log shows the requests, and neither its logs nor the "
                 "program's hold a password, code or token"):
        text = resp.log_text() + ap.logs().encode()
        expect(b"POST /api/v2/account/reset/" in text, "no access log line")
        expect(not f.leaks(text), f.leak_report(text))

    # The responder gone: Apache's own 503, in the program's format.
    resp.stop()
    with t.claim("with the responder stopped, Apache answers 503 temporarily_unavailable "
                 "as JSON with Retry-After, the same answer as nginx's"):
        a = ap.post_json({"validation_code": "x" * 20, "password": "Valid-Passw0rd"})
        n = ng.post_json({"validation_code": "x" * 20, "password": "Valid-Passw0rd"})
        expect_error(a, 503, "temporarily_unavailable")
        expect_same_answer(a, n, "apache")

    with t.claim("Apache stops on SIGTERM, leaving no process behind"):
        kids = descendants(ap.proc.pid)
        master = ap.proc.pid
        expect_eq(ap.stop(), 0, "apache exit status")
        expect(all(uid_of(p) is None for p in kids + [master]), "processes left")

    ng.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
