#!/usr/bin/env python3
"""test_apache_cgi.py: account-reset.cgi under Apache httpd's mod_cgid.

Apache (event MPM with mod_cgid, Debian's default pairing; workers and the
CGI programs as www-data) runs conf/apache-cgi.conf.example as rendered by
scripts/render-conf --standalone: ScriptAlias to account-reset.cgi, copied
into the prefix's cgi-bin as make install puts it, ACCOUNT_RESET_CONFIG
given by SetEnv, the config and option file readable by www-data as the
example tells operators to make them.  nginx, rendered from
nginx.conf.example in front of the program's own workers (account-reset
--listen), gets every input too: the CGI program's answers through Apache
must be nginx's (status, Content-Type, the contract headers, the JSON).
"""

from harness import TAP, Fixture, expect, expect_eq
from webservers import (expect_contract, Apache, Nginx, contract_cases, descendants,
                        expect_same_answer, share_with_web_user, standalone_responder,
                        uid_of)

CLIENT_ID = "apache-cgi-e2e"
SCOPE = "read write"
LIFETIME = 1800


def check(resp, want):
    expect_contract(resp, want, CLIENT_ID, SCOPE, LIFETIME)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    resp = t.setup(standalone_responder, f, workers=2)
    t.setup(share_with_web_user, f)  # the CGI program reads the config as www-data
    ng = t.setup(lambda: Nginx(resp.socket).start())
    ap = t.setup(lambda: Apache("cgi", config=f.config_path).start())

    for desc, want, send in contract_cases():
        with t.claim("Apache mod_cgid running account-reset.cgi, %s: %s, the same answer "
                     "as nginx's" % (desc, "200 and the token" if want == ("token",)
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

    with t.claim("the CGI program logs its line per request to Apache's error log, "
                 "and no log holds a password, code or token"):
        text = ap.logs()
        expect("account-reset.cgi[" in text and "status=200" in text,
               "no CGI log line in Apache's error log")
        everything = text.encode() + resp.log_text()
        expect(not f.leaks(everything), f.leak_report(everything))

    with t.claim("Apache stops on SIGTERM, leaving no process behind"):
        kids = descendants(ap.proc.pid)
        master = ap.proc.pid
        expect_eq(ap.stop(), 0, "apache exit status")
        expect(all(uid_of(p) is None for p in kids + [master]), "processes left")

    ng.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
