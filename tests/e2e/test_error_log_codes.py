#!/usr/bin/env python3
"""test_error_log_codes.py: a code a client puts in a query string must
not reach any log the examples configure (issue 19, point 12).  nginx's
access log records $uri, but its error log keeps the whole request line:
a POST with ?validation_code=... and a body over client_max_body_size
wrote the code there with the 413.  nginx.conf.example now refuses any
query string (400 invalid_request, in the program's JSON) in the server's
rewrite phase, before a location, its body limit or limit_req can log
the request line.  The codes are noted as secrets, so the run's last test
searches every web server log for them as well.

Through nginx rendered from nginx.conf.example with its own limits, in
front of the program's supervisor (one worker)."""

import json
import secrets
import socket
import time

from harness import TAP, Fixture, expect, expect_eq, expect_error, run_parallel, wait_for
from webservers import Apache, Nginx, share_with_web_user, standalone_responder

API = "/api/v2/account/reset/"
RECOVER = "/api/v2/account/recover/"
HEALTH = "/api/v2/account/health/"


def raw(port, request):
    """Sends request bytes; returns the first answer line (or "")."""
    with socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(request)
        s.settimeout(10)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    resp = t.setup(standalone_responder, f, workers=1)
    ng = t.setup(lambda: Nginx(resp.socket, rate=None, burst=None).start())
    t.setup(share_with_web_user, f)  # the CGI program reads the config as www-data
    apf = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())
    apc = t.setup(lambda: Apache("cgi", config=f.config_path).start())
    codes = []

    def code():
        c = secrets.token_urlsafe(24)
        f.note_secret(c)
        codes.append(c)
        return c

    with t.claim("a POST with ?validation_code=... and a body over the limit: 400 "
                 "invalid_request (not 413), and the code is in no nginx log"):
        c = code()
        body = b"x" * 20000
        line = raw(ng.port, ("POST %s?validation_code=%s HTTP/1.1\r\nHost: localhost\r\n"
                             "Content-Type: application/json\r\nContent-Length: %d\r\n"
                             "Connection: close\r\n\r\n" % (API, c, len(body))).encode() + body)
        expect(" 400 " in line, "answer %r" % line)

    with t.claim("a well-formed POST with the code in the query string, to reset and to "
                 "recover: 400 invalid_request in the program's JSON"):
        for path in (API, RECOVER):
            r = ng.request("POST", json.dumps({"email": "a@example.test"}).encode(),
                           {"Content-Type": "application/json"},
                           path=path + "?validation_code=" + code())
            expect_error(r, 400, "invalid_request")

    with t.claim("a flood past limit_req with the code in the query string: refused, "
                 "and the code is in no nginx log"):
        c = code()
        for _ in range(40):
            ng.request("POST", b"{}", {"Content-Type": "application/json"},
                       path=API + "?validation_code=" + c)
        r = ng.request("GET", path=HEALTH + "?validation_code=" + code())
        expect_eq(r.status, 400, "health with a query string")

    with t.claim("no code reached nginx's error or access log"):
        # nginx writes its log lines right after each answer.
        wait_for(lambda: "rid=" in ng.access_log(), timeout=10)
        time.sleep(0.2)
        text = ng.logs()
        leaked = [c for c in codes if c in text or c[:16] in text]
        expect(not leaked, "codes in the logs: %d; %s" % (
            len(leaked), [l for l in text.splitlines() if any(c[:16] in l for c in leaked)][:3]))

    for name, server in (("Apache mod_proxy_fcgi", apf), ("Apache mod_cgid", apc)):
        with t.claim("%s: a POST with ?validation_code=... and a body over the limit, and "
                     "one with the responder stopped: the code is in no Apache log" % name):
            c = code()
            body = b"x" * 20000
            raw(server.port, ("POST %s?validation_code=%s HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: application/json\r\nContent-Length: %d\r\n"
                              "Connection: close\r\n\r\n" % (API, c, len(body))).encode()
                + body)
            server.request("POST", b"{}", {"Content-Type": "application/json"},
                           path=API + "?validation_code=" + c)
            time.sleep(0.3)
            text = server.logs()
            expect(c not in text and c[:16] not in text, "the code is in %s's logs: %s" % (
                name, [l for l in text.splitlines() if c[:16] in l][:2]))

    with t.claim("the health endpoint has a limit of its own: a burst well past it gets "
                 "429 in the program's JSON"):
        expect_eq(ng.request("GET", path=HEALTH).status, 200, "a single check")
        got = run_parallel([lambda: ng.request("GET", path=HEALTH) for _ in range(60)])
        statuses = [r.status for r in got if not isinstance(r, BaseException)]
        expect(429 in statuses, "statuses %r" % sorted(set(statuses)))
        expect_error([r for r in got if not isinstance(r, BaseException)
                      and r.status == 429][0], 429, "too_many_requests")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
