#!/usr/bin/env python3
"""test_no_slash.py: POST /api/v2/account/reset (no trailing slash) is the
same endpoint as /api/v2/account/reset/ behind every example front end:
nginx (nginx.conf.example), Apache mod_proxy_fcgi and Apache mod_cgid
(conf/apache-*.conf.example), each rendered by scripts/render-conf.  Never
an HTML 301 (which clients follow as a GET and then meet 405).  And
nginx's access log records the path without the query string, so a code
sent in one never lands in the log (issue 10, points 8 and 9).
"""

import json
import secrets

from harness import (TAP, Fixture, expect, expect_eq, expect_error, expect_token,
                     strong_password, wait_for)
from webservers import Apache, Nginx, share_with_web_user, standalone_responder

CLIENT_ID = "no-slash-e2e"
SCOPE = "read write"
LIFETIME = 1800
NO_SLASH = "/api/v2/account/reset"


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    resp = t.setup(standalone_responder, f, workers=1)
    t.setup(share_with_web_user, f)  # the CGI program reads the config as www-data
    ng = t.setup(lambda: Nginx(resp.socket).start())
    apf = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())
    apc = t.setup(lambda: Apache("cgi", config=f.config_path).start())

    for name, server in (("nginx", ng), ("Apache mod_proxy_fcgi", apf),
                         ("Apache mod_cgid", apc)):
        with t.claim("%s: POST %s (no slash) resets the password: 200 and the token, "
                     "no redirect" % (name, NO_SLASH)) as cl:
            email, old, code = f.user_and_code()
            new = strong_password("NoSlash")
            f.note_secret(new)
            r = server.request("POST", json.dumps({"validation_code": code,
                                                   "password": new}).encode(),
                               {"Content-Type": "application/json"}, path=NO_SLASH)
            cl.note(r.summary())
            f._note_answer(r)
            expect(r.status not in (301, 302, 307, 308), "redirected: %s" % r.summary())
            expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
            expect_eq(f.check_password(email, new), 0, "check-password new")
            expect_eq(f.check_password(email, old), 1, "check-password old")

        with t.claim("%s: GET %s gets the program's JSON 405, as with the slash" % (name, NO_SLASH)):
            expect_error(server.request("GET", path=NO_SLASH), 405, "method_not_allowed")

        with t.claim("%s: a path that only starts like the API's (%sx) is 404, never "
                     "the program's" % (name, NO_SLASH)):
            r = server.request("POST", b"{}", {"Content-Type": "application/json"},
                               path=NO_SLASH + "x")
            expect(r.status in (403, 404), "status %s" % r.summary())
            expect(not (isinstance(r.json, dict) and "error" in r.json
                        and r.json.get("error") == "invalid_request"), "the program answered")

    with t.claim("nginx's access log records the path without the query string: a "
                 "code sent in one is not logged"):
        secret = secrets.token_urlsafe(24)
        f.note_secret(secret)
        ng.request("POST", b"{}", {"Content-Type": "application/json"},
                   path=NO_SLASH + "/?validation_code=" + secret)
        # nginx writes the access log line just after the answer.
        wait_for(lambda: "POST /api/v2/account/reset/ HTTP/1.1" in ng.access_log(), 10)
        log = ng.access_log()
        expect("POST /api/v2/account/reset/ HTTP/1.1" in log, "no line in %r" % log[-300:])
        expect(secret not in log and "validation_code=" not in log, "query logged")

    ng.stop()
    apf.stop()
    apc.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
