#!/usr/bin/env python3
"""test_web_errors.py: what the web servers answer themselves, on the API's
paths, is JSON in the documented shape (README section 4).

Through real nginx (nginx.conf.example) and both Apache examples
(apache-fcgi.conf.example in front of the responder, apache-cgi.conf.example
running account-reset.cgi), raw requests that the program never sees or
that no endpoint serves: a path under /api/v2/account/ that is no
endpoint, a request line that is not HTTP, TRACE, a body over the health
check's limit, a URI over the request-line buffer, a transfer coding the
server does not implement, an HTTP version it does not take.  Each answer
has its status, Content-Type application/json, the no-store headers and
{"error", "error_description"} with the error of that status, as the
program's own errors do; where a server passes the request on instead
(Apache takes "HTTP/2.0" for 1.1), the program's JSON answer is what
arrives.  The Apache CGI example also routes GET health.  (Apache's 405 to TRACE
carries its own empty Allow header, which no directive can change.)
"""

import json
import socket

from harness import TAP, Fixture, expect, expect_eq, scaled
from webservers import (Apache, Nginx, share_with_web_user, standalone_responder)

API = "/api/v2/account/reset/"
HEALTH = "/api/v2/account/health"
ERRORS = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 414: "uri_too_long", 501: "not_implemented",
          505: "http_version_not_supported"}


def req(line, headers=(), body=b""):
    head = [line, "Host: localhost", "Connection: close"] + list(headers)
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# name, raw request, {server: status} (a missing server: as "nginx")
CASES = [
    ("GET of a path under /api/v2/account/ that is no endpoint",
     req("GET /api/v2/account/nothing HTTP/1.1"), {"nginx": 404}),
    ("POST below the reset endpoint's path",
     req("POST /api/v2/account/reset/x HTTP/1.1", ["Content-Length: 0"]), {"nginx": 404}),
    ("a request line that is not HTTP", b"GARBAGE\r\n\r\n", {"nginx": 400}),
    ("a request line with a fourth word",
     req("GET /api/v2/account/reset/ HTTP/1.1 extra"), {"nginx": 400}),
    ("TRACE on the reset path", req("TRACE %s HTTP/1.1" % API), {"nginx": 405}),
    ("a body of 5,000 bytes to the health check",
     req("POST %s HTTP/1.1" % HEALTH, ["Content-Type: application/json",
                                       "Content-Length: 5000"], b"x" * 5000),
     {"nginx": 413, "apache": 405}),
    ("a URI of 20,000 characters", req("GET %s?%s HTTP/1.1" % (API, "a" * 20000)),
     {"nginx": 414}),
    ("Transfer-Encoding: gzip",
     req("POST %s HTTP/1.1" % API, ["Transfer-Encoding: gzip"]),
     {"nginx": 501, "apache": 400}),
    ("HTTP/2.0 in the request line", req("GET %s HTTP/2.0" % API),
     {"nginx": 505, "apache": 405}),
]


def send(port, data):
    s = socket.create_connection(("127.0.0.1", port), scaled(10))
    s.settimeout(scaled(30))
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may answer and close before taking it all
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out


def parse(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        data, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            data, rest = data + rest[:n], rest[n + 2:]
        body = data
    return status, headers, body


def expect_json_error(raw, status, kind):
    got, headers, body = parse(raw)
    expect_eq(got, status, "status (answer %r)" % raw[:300])
    expect(headers.get("content-type", "").split(";")[0] == "application/json",
           "Content-Type %r" % headers.get("content-type"))
    expect_eq(headers.get("cache-control"), "no-store", "Cache-Control")
    expect_eq(headers.get("x-content-type-options"), "nosniff", "X-Content-Type-Options")
    try:
        d = json.loads(body)
    except ValueError:
        raise AssertionError("not JSON: %r" % body[:300])
    expect_eq(sorted(d), ["error", "error_description"], "keys")
    expect_eq(d["error"], ERRORS[status], "error")
    if status == 405 and kind == "nginx":
        expect_eq(headers.get("allow"), "POST", "Allow")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    resp = t.setup(standalone_responder, f, workers=1)
    t.setup(share_with_web_user, f)
    servers = [("nginx", "nginx", t.setup(lambda: Nginx(resp.socket).start())),
               ("Apache (FastCGI example)", "apache",
                t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())),
               ("Apache (CGI example)", "apache",
                t.setup(lambda: Apache("cgi", config=f.config_path).start()))]

    for name, kind, srv in servers:
        for desc, data, want in CASES:
            status = want.get(kind, want["nginx"])
            with t.claim("%s, %s: %d %s as JSON" % (name, desc, status, ERRORS[status])):
                expect_json_error(send(srv.port, data), status, kind)

    for name, kind, srv in servers:
        with t.claim("%s routes GET %s to the program: 200 {\"status\":\"ok\"}" % (name, HEALTH)):
            got, headers, body = parse(send(srv.port, req("GET %s HTTP/1.1" % HEALTH)))
            expect_eq(got, 200, "status (%r)" % body[:200])
            expect_eq(json.loads(body), {"status": "ok"}, "body")

    for _, _, srv in servers:
        srv.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
