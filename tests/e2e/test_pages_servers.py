#!/usr/bin/env python3
"""test_pages_servers.py: the pages (README, "The pages") as the shipped
web server examples serve them, and CORS through them.

nginx (nginx.conf.example), Apache with mod_proxy_fcgi
(conf/apache-fcgi.conf.example) and Apache with mod_cgid
(conf/apache-cgi.conf.example), each rendered by scripts/render-conf with
--www pointing at a copy of www/:

  * /account/forgot/ and /account/reset/ and their files, with the headers
    the pages need (a strict Content-Security-Policy with
    frame-ancestors 'none' and form-action 'self', Referrer-Policy
    no-referrer, nosniff, Cache-Control no-store), read only with GET;
  * CORS with cors_origins set: a preflight from a listed origin is 204
    with the allowed method, header and max age; an answer to a listed
    origin names it (never "*"); every answer says Vary: Origin; another
    origin's preflight is the 405 it was before;

and, from the source tree, each page with its scripts and style sheet
under 30 KB.
"""

import os
import re

from harness import TAP, Fixture, expect, expect_eq
from webservers import Apache, Nginx, share_with_web_user, standalone_responder

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
FRONT = "http://front.example.test"
OTHER = "http://evil.example.test"
RESET = "/api/v2/account/reset/"
RECOVER = "/api/v2/account/recover/"
PAGE_LIMIT = 30 * 1024


def page_size(page):
    """The bytes of www/PAGE/index.html and every script and style sheet it
    loads (relative paths), and the list of them."""
    html_path = os.path.join(SRCDIR, "www", page, "index.html")
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    files = [html_path]
    for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        files.append(os.path.normpath(os.path.join(os.path.dirname(html_path), ref)))
    return sum(os.path.getsize(p) for p in files), files


def expect_page_headers(r, media):
    expect_eq(r.status, 200, "status (%s)" % r.summary(200))
    expect(r.header("content-type", "").startswith(media),
           "content-type %r" % r.header("content-type"))
    csp = r.header("content-security-policy", "")
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                 "frame-ancestors 'none'", "form-action 'self'"):
        expect(part in csp, "%s not in the CSP %r" % (part, csp))
    expect("unsafe-inline" not in csp and "unsafe-eval" not in csp, csp)
    expect_eq(r.header("referrer-policy"), "no-referrer", "Referrer-Policy")
    expect_eq(r.header("x-content-type-options"), "nosniff", "X-Content-Type-Options")
    expect("no-store" in r.header("cache-control", ""), "Cache-Control %r"
           % r.header("cache-control"))


def main():
    t = TAP()

    for page in ("forgot", "reset"):
        with t.claim("the %s page with its scripts and style sheet is under 30 KB "
                     "uncompressed" % page):
            size, files = page_size(page)
            t.diag("www/%s/: %d bytes in %d files" % (page, size, len(files)))
            expect(size < PAGE_LIMIT, "%d bytes: %s" % (size, files))

    f = Fixture(iterations=1000, cors_origins=FRONT + ", http://other-front.example.test")
    t.setup(f.setup)
    resp = t.setup(standalone_responder, f, workers=2)
    t.setup(share_with_web_user, f)
    servers = [("nginx", t.setup(lambda: Nginx(resp.socket).start())),
               ("Apache mod_proxy_fcgi", t.setup(lambda: Apache("fcgi",
                                                                 socket_path=resp.socket).start())),
               ("Apache mod_cgid", t.setup(lambda: Apache("cgi", config=f.config_path).start()))]

    for name, s in servers:
        with t.claim("%s serves /account/forgot/ and /account/reset/ as HTML with the "
                     "pages' headers" % name):
            for path in ("/account/forgot/", "/account/reset/"):
                r = s.request("GET", path=path)
                expect_page_headers(r, "text/html")
                expect(b'src="../js/common.js"' in r.body, "not the page: %r" % r.body[:200])

        with t.claim("%s serves the style sheet, the scripts and the strings with their "
                     "types and the same headers" % name):
            for path, media in (("/account/app.css", "text/css"),
                                ("/account/js/reset.js", "text/javascript"),
                                ("/account/i18n/de.js", "text/javascript"),
                                ("/account/site.js", "text/javascript"),
                                ("/account/favicon.svg", "image/svg+xml")):
                expect_page_headers(s.request("GET", path=path), media)

        with t.claim("%s refuses a POST to a page (static files, read only)" % name):
            r = s.request("POST", b"email=a%40b.c", {"Content-Type":
                                                      "application/x-www-form-urlencoded"},
                          path="/account/forgot/")
            expect(r.status in (403, 405), "status %d" % r.status)

        with t.claim("%s: nothing else under /account/ (a missing file is 404)" % name):
            expect_eq(s.request("GET", path="/account/nothing.html").status, 404, "status")

        for path in (RESET, RECOVER):
            with t.claim("%s: a CORS preflight for %s from a listed origin is 204 with "
                         "that origin, POST, Content-Type, a max age and Vary: Origin"
                         % (name, path)):
                r = s.request("OPTIONS", path=path, headers={
                    "Origin": FRONT, "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type"})
                expect_eq(r.status, 204, "status (%s)" % r.summary(300))
                expect_eq(r.header("access-control-allow-origin"), FRONT, "Allow-Origin")
                expect_eq(r.header("access-control-allow-methods"), "POST", "Allow-Methods")
                expect_eq(r.header("access-control-allow-headers"), "Content-Type",
                          "Allow-Headers")
                expect(re.match(r"\A[0-9]+\Z", r.header("access-control-max-age", "")),
                       "Max-Age %r" % r.header("access-control-max-age"))
                expect("Origin" in r.header("vary", ""), "Vary %r" % r.header("vary"))

        with t.claim("%s: a preflight from an origin not listed gets 405 as without "
                     "CORS, no Allow-Origin, and Vary: Origin" % name):
            r = s.request("OPTIONS", path=RESET, headers={
                "Origin": OTHER, "Access-Control-Request-Method": "POST"})
            expect_eq(r.status, 405, "status (%s)" % r.summary(300))
            expect(r.header("access-control-allow-origin") is None, r.summary(300))
            expect("Origin" in r.header("vary", ""), "Vary %r" % r.header("vary"))

        with t.claim("%s: a POST from a listed origin gets its answer with that origin "
                     "(never *), and one from another origin without it" % name):
            body = b'{"validation_code":"nope-nope-nope","password":"Valid-Passw0rd"}'
            r = s.request("POST", body, {"Content-Type": "application/json",
                                         "Origin": FRONT}, path=RESET)
            expect_eq(r.status, 400, "status (%s)" % r.summary(300))
            expect_eq(r.header("access-control-allow-origin"), FRONT, "Allow-Origin")
            expect("Origin" in r.header("vary", ""), "Vary %r" % r.header("vary"))
            r = s.request("POST", body, {"Content-Type": "application/json",
                                         "Origin": OTHER}, path=RESET)
            expect_eq(r.status, 400, "status")
            expect(r.header("access-control-allow-origin") is None, r.summary(300))
            for r in (r,):
                expect("*" not in (r.header("access-control-allow-origin") or ""), "*")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
