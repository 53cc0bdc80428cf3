#!/usr/bin/env python3
"""test_bad_input.py: the catalogue of bad input (docs/SECURITY.md), sent
through the real front ends.

  * nginx, rendered from nginx.conf.example (limit_req raised so that the
    catalogue is not refused as a burst), in front of the program's own
    supervisor with one worker (account-reset --listen --workers 1, the
    worker as www-data): every request of the catalogue and the probe after
    it reach the same worker process.
  * Apache httpd with mod_cgid running account-reset.cgi, rendered from
    conf/apache-cgi.conf.example: the CGI path as a shared host runs it.
  * account-reset.cgi run directly as a CGI process, and the FastCGI worker
    above driven directly with cgi-fcgi: for the meta-variables no web
    server would pass on (CONTENT_LENGTH of -1, of "abc", larger or smaller
    than the body ...), and for bodies larger than any web server here
    lets through (with max_body_bytes at its maximum, 1 MiB).

Requests to the web servers are written on raw sockets, byte for byte, as
an attacker would (an HTTP client library would correct a bad
Content-Length, refuse a NUL in a header, or choose its own framing).

Each entry is one claim per front end: the answer is the documented one
(the program's JSON error, or the web server's own answer where it answers
first: then nginx must not have passed the request on, and Apache, which
starts a CGI program before reading the body, may only have had it refused
by the program too); the processes are the same afterwards (nginx's path:
the program's supervisor and its one worker; Apache's: the server) and a
probe is answered (a well-formed request with an unknown code: 400
invalid_validation_code, a database lookup); and the tables users,
reset_codes and tokens are unchanged (CHECKSUM TABLE; the attempt counters
are left out, they are meant to change).  Many entries carry a valid code
(the "victim"'s): it must still work at the end.
"""

import json
import secrets
import socket
import sys
import time

from harness import (Fixture, Response, TAP, expect, expect_eq, expect_error,
                     expect_json_headers, expect_token, strong_password, wait_for)
from webservers import Apache, Nginx, share_with_web_user, standalone_responder

CLIENT_ID = "bad-input-e2e"
SCOPE = "read write"
LIFETIME = 1800
MAX_BODY = 8192
BIG_MAX_BODY = 1048576           # max_body_bytes at its largest, for the CGI process
API = "/api/v2/account/reset/"
UNKNOWN = "unknown-" + secrets.token_hex(12)


# ---------------------------------------------------------------- raw HTTP

def http(method="POST", path=API, headers=None, body=b"", length="auto",
         content_type="application/json", tail=b""):
    """One HTTP/1.1 request as bytes: Host, Connection: close, the content
    type, the headers given, Content-Length (computed unless length is a
    string, or None for none), the body, then tail (bytes past it)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost", "Connection: close"]
    if content_type is not None:
        lines.append("Content-Type: " + content_type)
    for name, value in headers or ():
        lines.append("%s: %s" % (name, value))
    if length == "auto":
        if body or method == "POST":
            lines.append("Content-Length: %d" % len(body))
    elif length is not None:
        lines.append("Content-Length: " + length)
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body + tail


def chunked(body, size=None):
    """body in chunked transfer coding (chunks of size bytes)."""
    size = size or max(1, len(body))
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def exchange(port, data, half_close=False, timeout=20.0):
    """Writes data on a fresh connection (a write the server cuts short is
    not an error: it may answer before reading everything), optionally
    shuts down the write side, and reads until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    got = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass
        if half_close:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    return got


def dechunk(body):
    out, rest = b"", body
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        n = int(line.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out, rest = out + rest[:n], rest[n + 2:]
    return out


def parse_http(raw, head_request=False):
    """The first answer in raw as a harness Response (via "http"), or None
    when the server sent nothing."""
    if not raw:
        return None
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    header_list = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        header_list.append((name.decode("latin-1").strip().lower(),
                            value.decode("latin-1").strip()))
    headers = dict(header_list)
    if head_request:
        body = b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(rest)
    elif "content-length" in headers:
        body = rest[:int(headers["content-length"])]
    else:
        body = rest
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError:
        data = None
    r = Response(status, headers, body, data)
    r.header_list = header_list
    r.raw = raw
    r.json_duplicates = []
    r.via = "http"
    return r


# ---------------------------------------------------------------- answers

class Want:
    """An expected answer.  kind: "program" (the program's JSON error),
    "head" (the program's 405 to HEAD: headers only), "json" (the web
    server's own answer in the program's JSON, from error_page or
    ErrorDocument), "server" (the web server's own page), "closed" (no
    answer at all).  Only "program" and "head" reach the program."""

    def __init__(self, kind, status=None, error=None, violations=None):
        self.kind, self.status, self.error, self.violations = kind, status, error, violations

    @property
    def reaches_program(self):
        return self.kind in ("program", "head")

    def __str__(self):
        if self.kind == "closed":
            return "the connection closed without an answer"
        if self.kind == "server":
            return "the web server's own %d" % self.status
        if self.kind == "json":
            return "the web server's own %d %s as JSON" % (self.status, self.error)
        if self.kind == "head":
            return "the program's 405 with Allow: POST and no body"
        text = "the program's %d %s" % (self.status, self.error)
        if self.violations:
            text += " [%s]" % ", ".join(self.violations)
        return text

    def check(self, r):
        if self.kind == "closed":
            expect(r is None, "want no answer; got %s" % (r.summary() if r else None))
            return
        expect(r is not None, "no answer (the server closed the connection)")
        if self.kind == "json" and self.status == 405:
            # A web server's 405 (TRACE, CONNECT): Apache's carries its
            # own empty Allow header, which no directive can change.
            expect(r.status == 405 and isinstance(r.json, dict) and
                   r.json.get("error") == self.error, "want 405 %s; got %s"
                   % (self.error, r.summary(200)))
            expect_json_headers(r)
        elif self.kind in ("program", "json"):
            expect_error(r, self.status, self.error, self.violations)
        elif self.kind == "head":
            expect_eq(r.status, 405, "status")
            expect_eq(r.header("allow"), "POST", "Allow")
            expect_eq(r.header("cache-control"), "no-store", "Cache-Control")
        else:
            expect_eq(r.status, self.status, "status (%s)" % r.summary(200))
            expect(not (isinstance(r.json, dict) and "error" in r.json),
                   "a JSON error, as if from the program: %s" % r.summary(200))


def P(status, error, violations=None):
    return Want("program", status, error, violations)


HEAD405 = Want("head")
CLOSED = Want("closed")


# The web servers' own refusals are JSON too (nginx.conf.example's
# error_page, the Apache examples' ErrorDocument; tests/e2e/test_web_errors.py).
SERVER_ERRORS = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed",
                 413: "payload_too_large", 414: "uri_too_long", 501: "not_implemented",
                 505: "http_version_not_supported"}


def S(status):
    return Want("json", status, SERVER_ERRORS[status])


def J(status, error):
    return Want("json", status, error)


# ---------------------------------------------------------------- the catalogue

def body_of(code, password, **extra):
    d = {"validation_code": code, "password": password}
    d.update(extra)
    return json.dumps(d).encode()


def members(text):
    """A JSON object from literal member text (to write what json.dumps
    would not: duplicates, raw bytes, bad escapes)."""
    return b"{" + (text.encode("utf-8") if isinstance(text, str) else text) + b"}"


def catalogue(victim):
    """(name, request bytes, half_close, nginx's answer, Apache's answer, why).
    victim is a valid code that must survive every entry."""
    V = victim
    pw = "Valid-Passw0rd"
    ok_body = body_of(UNKNOWN, pw)          # well formed: unknown code
    vb = body_of(V, "weak")                 # the victim's code, a refused password
    qv = json.dumps(V)
    cases = []

    def add(name, req, nginx, apache, why, half_close=False):
        cases.append((name, req, half_close, nginx, apache, why))

    # -- Content-Length
    add("Content-Length missing, no body", http(length=None), P(411, "length_required"),
        P(411, "length_required"), "no CONTENT_LENGTH: 411")
    add("Content-Length missing, a body follows", http(body=vb, length=None),
        P(411, "length_required"), P(411, "length_required"),
        "without a length there is no body: the bytes are not read")
    add("Content-Length: -1", http(body=vb, length="-1"), S(400), S(400),
        "the web server refuses a length that is not a number")
    add("Content-Length: abc", http(body=vb, length="abc"), S(400), S(400),
        "the web server refuses a length that is not a number")
    add("Content-Length: 99999999999999999999999", http(body=vb,
        length="99999999999999999999999"), S(400), S(400), "overflow: refused by the server")
    add("Content-Length twice, different values",
        http(body=vb, headers=[("Content-Length", str(len(vb) + 1))]), S(400), S(400),
        "two lengths: a request-smuggling attempt, refused")
    add("Content-Length larger than the body (client then half-closes)",
        http(body=vb, length=str(len(vb) + 40)), CLOSED, S(400),
        "the body never completes: nginx gives up, Apache answers 400", half_close=True)
    add("Content-Length smaller than the body (the rest another request with the "
        "victim's code)", http(body=ok_body, tail=body_of(V, strong_password())),
        P(400, "invalid_validation_code"), P(400, "invalid_validation_code"),
        "only Content-Length bytes are the body: the rest is never a second request")
    add("Content-Length smaller than the body, cutting the JSON",
        http(body=vb, length=str(len(vb) - 5)), P(400, "invalid_request"),
        P(400, "invalid_request"), "the declared bytes are not JSON")
    add("Content-Length: 0 (an empty body)", http(body=b"", length="0"),
        P(400, "invalid_request"), P(400, "invalid_request"), "the body is empty")

    # -- Transfer-Encoding
    add("a chunked body", http(body=chunked(ok_body), length=None,
                               headers=[("Transfer-Encoding", "chunked")]),
        P(400, "invalid_validation_code"), P(411, "length_required"),
        "nginx reads the chunks and passes CONTENT_LENGTH; Apache's mod_cgid passes "
        "no CONTENT_LENGTH for a chunked body")
    add("a chunked body in 1-byte chunks", http(body=chunked(ok_body, 1), length=None,
                                                headers=[("Transfer-Encoding", "chunked")]),
        P(400, "invalid_validation_code"), P(411, "length_required"), "as above")
    add("a chunked body with a bad chunk size",
        http(body=b"zz\r\n" + vb + b"\r\n0\r\n\r\n", length=None,
             headers=[("Transfer-Encoding", "chunked")]),
        S(400), S(400), "malformed framing: refused by the server")
    add("Transfer-Encoding: chunked and Content-Length together",
        http(body=chunked(vb), length="5", headers=[("Transfer-Encoding", "chunked")]),
        S(400), P(411, "length_required"),
        "smuggling: nginx refuses; Apache drops Content-Length, as RFC 9112 says")
    add("a chunked body of 10 MB",
        http(body=chunked(b"[" * (10 * 1024 * 1024), 65536), length=None,
             headers=[("Transfer-Encoding", "chunked")]),
        J(413, "payload_too_large"), J(413, "payload_too_large"),
        "over client_max_body_size / LimitRequestBody")
    add("Transfer-Encoding: gzip", http(body=vb, length=None,
                                        headers=[("Transfer-Encoding", "gzip")]),
        S(501), S(400), "a coding the server does not implement")

    # -- size
    add("a body of 10 MB", http(body=b"{" + b" " * (10 * 1024 * 1024 - 2) + b"}"),
        J(413, "payload_too_large"), J(413, "payload_too_large"),
        "over the body limit: refused from Content-Length, before the body is read")
    add("a body of max_body_bytes + 1", http(body=b" " * (MAX_BODY + 1 - len(vb)) + vb),
        J(413, "payload_too_large"), J(413, "payload_too_large"), "one byte over")
    add("nesting 100,000 deep", http(body=b"[" * 100000 + b"]" * 100000),
        J(413, "payload_too_large"), J(413, "payload_too_large"), "200 KB: over the limit")
    add("nesting 4,000 deep (within the body limit)",
        http(body=b"[" * 4000 + b"]" * 4000), P(400, "invalid_request"),
        P(400, "invalid_request"), "json-c stops at depth 8")
    add("nesting 9 deep in an ignored member, with the victim's code",
        http(body=members('"validation_code": %s, "password": "%s", "x": %s1%s'
                          % (qv, strong_password(), "[" * 8, "]" * 8))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "the depth limit holds for the whole document")
    add("a 1 MB string", http(body=body_of(UNKNOWN, "Aa1!" * 262144)),
        J(413, "payload_too_large"), J(413, "payload_too_large"), "over the limit")
    add("a password of 8,000 characters (within the limit)",
        http(body=body_of(UNKNOWN, "Aa1!" * 2000)), P(400, "invalid_password", ["too_long"]),
        P(400, "invalid_password", ["too_long"]), "the rules: at most 128 code points")
    add("a validation code of 8,000 characters",
        http(body=body_of("c" * 8000, pw)), P(400, "invalid_validation_code"),
        P(400, "invalid_validation_code"), "longer than any code: refused without a lookup")

    # -- NUL bytes
    add("a raw NUL byte inside the password string",
        http(body=members(b'"validation_code": ' + qv.encode() +
                          b', "password": "Valid-Pass\x00w0rd"')),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "a raw control character in a JSON string is not JSON")
    add("a raw NUL byte between members", http(body=members(
        b'"validation_code": ' + qv.encode() + b',\x00"password": "Valid-Passw0rd"')),
        P(400, "invalid_request"), P(400, "invalid_request"), "not JSON")
    add("\\u0000 in the password", http(body=members(
        '"validation_code": %s, "password": "Valid-Pass\\u0000w0rd"' % qv)),
        P(400, "invalid_password", ["control_character"]),
        P(400, "invalid_password", ["control_character"]),
        "decoded, it is a control character: refused by the rules")
    add("the victim's code followed by \\u0000 and more", http(body=members(
        '"validation_code": "%s\\u0000tail", "password": "%s"' % (V, strong_password()))),
        P(400, "invalid_validation_code"), P(400, "invalid_validation_code"),
        "the code is compared whole (its digest), never cut at the NUL")
    add("a NUL byte in a header value", http(body=vb, content_type="application/json\x00x"),
        S(400), S(400), "refused by the server")

    # -- UTF-8
    def bad_utf8(name, raw, why="invalid UTF-8 anywhere in the body"):
        add(name, http(body=members(b'"validation_code": ' + qv.encode() +
                                    b', "password": "Valid-Passw0rd' + raw + b'"')),
            P(400, "invalid_request"), P(400, "invalid_request"), why)
    bad_utf8("invalid UTF-8 (a 0xFF byte)", b"\xff")
    bad_utf8("a lone continuation byte (0x80)", b"\x80")
    bad_utf8("an overlong 2-byte '/' (C0 AF)", b"\xc0\xaf", "overlong forms are invalid")
    bad_utf8("an overlong 3-byte '/' (E0 80 AF)", b"\xe0\x80\xaf",
             "overlong forms are invalid")
    bad_utf8("an overlong 4-byte '/' (F0 80 80 AF)", b"\xf0\x80\x80\xaf",
             "overlong forms are invalid")
    bad_utf8("a surrogate encoded in UTF-8 (ED A0 80, CESU-8)", b"\xed\xa0\x80",
             "surrogates are not characters")
    bad_utf8("a code point above U+10FFFF (F4 90 80 80)", b"\xf4\x90\x80\x80",
             "beyond Unicode")
    bad_utf8("a truncated sequence (E2 82)", b"\xe2\x82", "incomplete sequence")
    add("invalid UTF-8 in an ignored member", http(body=members(
        b'"validation_code": ' + qv.encode() + b', "password": "Valid-Passw0rd", '
        b'"x": "\xff"')), P(400, "invalid_request"), P(400, "invalid_request"),
        "the whole body must be UTF-8")

    # -- surrogate escapes
    def bad_escape(name, esc):
        add(name, http(body=members('"validation_code": %s, "password": "Valid-Pw0rd%s"'
                                    % (qv, esc))),
            P(400, "invalid_request"), P(400, "invalid_request"),
            "json-c would turn it into U+FFFD, so the stored password would not be "
            "the one sent: refused")
    bad_escape("a lone high surrogate escape (\\ud800)", "\\ud800")
    bad_escape("a lone low surrogate escape (\\udc00)", "\\udc00")
    bad_escape("a lone surrogate escape in upper-case hex (\\uDBFF)", "\\uDBFF")
    bad_escape("surrogate escapes in the wrong order (\\udc00\\ud800)", "\\udc00\\ud800")
    bad_escape("a high surrogate escape before a non-surrogate (\\ud800\\u0041)",
               "\\ud800\\u0041")
    add("a lone surrogate escape in the name of an ignored member",
        http(body=members('"validation_code": %s, "password": "%s", "x\\ud800": 1'
                          % (qv, strong_password()))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "refused wherever it is in the body")
    add("a surrogate pair escape (\\ud83d\\ude00) in the password, unknown code",
        http(body=members('"validation_code": "%s", "password": "Valid-Pw0rd\\ud83d\\ude00"'
                          % UNKNOWN)),
        P(400, "invalid_validation_code"), P(400, "invalid_validation_code"),
        "a valid pair is one character (U+1F600, special): the request goes on")

    # -- byte-order mark
    add("a UTF-8 byte-order mark before the JSON", http(body=b"\xef\xbb\xbf" + vb),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "JSON text has no BOM (RFC 8259)")

    # -- duplicate members and NUL in names (issue 19, point 11): refused,
    # so no reader in front can see another member than the program
    add("validation_code twice: the victim's, then an unknown one",
        http(body=members('"validation_code": %s, "validation_code": "%s", "password": "%s"'
                          % (qv, UNKNOWN, strong_password()))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "a name given twice is refused: readers differ on which one counts")
    add("password twice: a strong one, then a weak one",
        http(body=members('"validation_code": %s, "password": "%s", "password": "weak"'
                          % (qv, strong_password()))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "a name given twice is refused")
    add("validation_code, then validation_code\\u0000 with an unknown code",
        http(body=members('"validation_code": %s, "validation_code\\u0000": "%s", '
                          '"password": "%s"' % (qv, UNKNOWN, strong_password()))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "json-c would end the name at the NUL and answer for the second member: "
        "a NUL in a name is refused")
    add("a member name spelled with an escape (validation\\u005fcode), unknown code",
        http(body=members('"validation\\u005fcode": "%s", "password": "%s"' % (UNKNOWN, pw))),
        P(400, "invalid_validation_code"), P(400, "invalid_validation_code"),
        "names are compared decoded, as JSON says: it is validation_code")
    add("member names in another case (Validation_Code)",
        http(body=members('"Validation_Code": %s, "Password": "%s"' % (qv, pw))),
        P(400, "invalid_request"), P(400, "invalid_request"),
        "names are case-sensitive: the members are missing")

    # -- types
    for member in ("validation_code", "password"):
        for label, value in (("a number", "12345678901234567890"), ("null", "null"),
                             ("an array", '["%s"]' % V), ("an object", '{"v": "%s"}' % V),
                             ("true", "true"), ("a huge number", "1e999999")):
            other = ('"password": "%s"' % strong_password() if member == "validation_code"
                     else '"validation_code": %s' % qv)
            add("%s as %s" % (member, label),
                http(body=members('"%s": %s, %s' % (member, value, other))),
                P(400, "invalid_request"), P(400, "invalid_request"), "not a string")
    for label, text in (("an array", b"[" + vb + b"]"), ("a string", b'"x"'),
                        ("a number", b"1"), ("null", b"null"), ("an empty object", b"{}")):
        add("a body that is %s" % label, http(body=text), P(400, "invalid_request"),
            P(400, "invalid_request"), "not an object with the two members")
    add("a body that is not JSON", http(body=b"{validation_code: " + qv.encode() + b"}"),
        P(400, "invalid_request"), P(400, "invalid_request"), "not JSON")
    add("data after the JSON object", http(body=vb + b" x"), P(400, "invalid_request"),
        P(400, "invalid_request"), "trailing data")
    add("two JSON objects", http(body=ok_body + vb), P(400, "invalid_request"),
        P(400, "invalid_request"), "trailing data")

    # -- methods
    for m in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        add(m + " with the victim's code in a JSON body",
            http(method=m, body=body_of(V, strong_password())),
            P(405, "method_not_allowed"), P(405, "method_not_allowed"), "only POST")
    add("HEAD", http(method="HEAD", length=None), HEAD405, HEAD405,
        "only POST (a HEAD answer has no body)")
    add("TRACE", http(method="TRACE", length=None), S(405), S(405),
        "the web servers refuse TRACE themselves (Apache: TraceEnable off)")
    add("CONNECT", http(method="CONNECT", length=None), S(405), S(400),
        "refused by the web server")
    add("a made-up method (FOO)", http(method="FOO", body=body_of(V, strong_password())),
        P(405, "method_not_allowed"), P(405, "method_not_allowed"), "only POST")
    add("a lower-case post", http(method="post", body=body_of(V, strong_password())),
        S(400), P(405, "method_not_allowed"),
        "methods are case-sensitive: nginx refuses it, Apache passes it on, the "
        "program refuses it")

    # -- content types
    for ct in (None, "text/plain", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "application/json; charset=iso-8859-1",
               "application/json; charset=utf-16", "application/jsonx",
               "application/json-patch+json", "text/json", "application/javascript"):
        add("Content-Type: %s" % (ct or "(none)"),
            http(body=body_of(V, strong_password()), content_type=ct),
            P(415, "unsupported_media_type"), P(415, "unsupported_media_type"),
            "only application/json, in UTF-8")
    for ct in ("APPLICATION/JSON; CHARSET=UTF-8", 'application/json; charset="utf-8"'):
        add("Content-Type: %s (accepted), unknown code" % ct,
            http(body=ok_body, content_type=ct), P(400, "invalid_validation_code"),
            P(400, "invalid_validation_code"), "media types are case-insensitive")

    # -- URI and headers
    add("a URI of 10,000 characters", http(path=API + "?" + "a" * 10000, body=vb), S(414),
        S(414), "longer than the server's request-line buffer")
    add("a query string of 2,000 characters", http(path=API + "?" + "q" * 2000, body=ok_body),
        J(400, "invalid_request"), P(400, "invalid_validation_code"),
        "nginx refuses any query string before it could log one (issue 19, point "
        "12); Apache passes it and the program ignores it")
    add("a path below the API's", http(path=API + "x" * 3000, body=vb), S(404), S(404),
        "only the exact path reaches the program")
    add("200 extra headers", http(body=ok_body, headers=[("X-Pad-%d" % i, "v" * 16)
                                                         for i in range(200)]),
        P(400, "invalid_validation_code"), S(400),
        "nginx passes them on (HTTP_* parameters); Apache allows 100 "
        "(LimitRequestFields)")
    add("2,000 extra headers", http(body=vb, headers=[("X-Pad-%d" % i, "v" * 16)
                                                      for i in range(2000)]),
        S(400), S(400), "over the servers' header limits")
    add("one header of 10,000 bytes", http(body=vb, headers=[("X-Big", "v" * 10000)]),
        S(400), S(400), "over the servers' header line limits")
    add("a folded header line (obs-fold)", http(body=vb, headers=[("X-Fold", "a\r\n b")]),
        S(400), P(400, "invalid_password", ["too_short", "too_few_character_classes"]),
        "nginx refuses obsolete line folding; Apache joins the lines and passes the "
        "request on")
    add("an X-Request-Id that is not a request id", http(
        body=ok_body, headers=[("X-Request-Id", "evil id status=200 " + "x" * 100)]),
        P(400, "invalid_validation_code"), P(400, "invalid_validation_code"),
        "the log uses a fresh id instead: no forged log fields")
    return cases


# ---------------------------------------------------------------- the rig

def checksum(f):
    """CHECKSUM TABLE of the three tables of record (not attempt_failures)."""
    return f.db.sql("CHECKSUM TABLE users, reset_codes, tokens")


class Front:
    """A web server in front of the program, with a way to read the
    program's log lines and to tell that the worker is unchanged.

    spawns_early: the server may start the program before it has read the
    body and then refuse the request itself (Apache's mod_cgid does, for a
    body over LimitRequestBody or a broken chunked body): the program may
    then have logged a refusal of its own, whose answer nobody reads."""

    def __init__(self, name, server, log_text, marker, workers, spawns_early):
        self.name = name
        self.server = server
        self.log_text = log_text
        self.marker = marker
        self.workers = workers
        self.start_workers = workers()
        self.spawns_early = spawns_early

    def program_lines(self):
        """The program's log lines (each is unique: time, pid, request id)."""
        return [l for l in self.log_text().splitlines() if self.marker in l]

    def unseen(self):
        """What a refusal by the server means for the program, in words."""
        if self.spawns_early:
            return "the CGI program, if Apache started it, refused it too"
        return "the program never sees it"

    def send(self, data, half_close=False, head=False):
        return parse_http(exchange(self.server.port, data, half_close), head)

    def probe(self):
        return self.send(http(body=body_of(UNKNOWN, "Valid-Passw0rd")))


def run_entry(t, f, front, name, req, half_close, want, why):
    unseen = "" if want.reaches_program else " (%s)" % front.unseen()
    with t.claim("via %s: %s -> %s%s; the worker survives, data unchanged"
                 % (front.name, name, want, unseen)) as cl:
        cl.note("why: " + why)
        before_sum = checksum(f)
        seen = set(front.program_lines())
        head = req.startswith(b"HEAD ")
        r = front.send(req, half_close, head)
        cl.note("answer: %s" % (r.summary(300) if r else "none"))
        want.check(r)
        probe = front.probe()
        cl.note("probe: %s" % (probe.summary(200) if probe else "none"))
        expect_error(probe, 400, "invalid_validation_code")
        # The entry's own line (when it reaches the program) and the probe's.
        n = 1 + (1 if want.reaches_program else 0)

        def lines():
            return [l for l in front.program_lines() if l not in seen]
        wait_for(lambda: len(lines()) >= n)
        if want.reaches_program or not front.spawns_early:
            expect_eq(len(lines()), n, "program log lines for the entry and the probe "
                      "(%s)" % ("it reaches the program" if want.reaches_program
                                else front.unseen()))
        else:
            time.sleep(0.1)   # a refusal of the program's own may be on its way
            got = lines()
            expect(len(got) in (1, 2) and not any("status=200" in l for l in got),
                   "program log lines: %r" % got)
        expect_eq(front.workers(), front.start_workers, "worker processes")
        expect_eq(checksum(f), before_sum, "CHECKSUM TABLE users, reset_codes, tokens")


def cgi_entries(victim):
    """(name, kwargs for Fixture.cgi / FastCGIResponder.request, want, why,
    big): the meta-variables and bodies no web server here passes on.  big:
    run with max_body_bytes = 1 MiB (CGI only)."""
    V = victim
    ok = body_of(UNKNOWN, "Valid-Passw0rd")
    vb = body_of(V, "weak")
    out = []
    for cl, want, why in (
            (None, P(411, "length_required"), "no CONTENT_LENGTH"),
            ("", P(411, "length_required"), "an empty CONTENT_LENGTH is none"),
            ("-1", P(400, "invalid_request"), "digits only"),
            ("abc", P(400, "invalid_request"), "digits only"),
            (" 12", P(400, "invalid_request"), "digits only, no blanks"),
            ("12 ", P(400, "invalid_request"), "digits only, no blanks"),
            ("+12", P(400, "invalid_request"), "digits only, no sign"),
            ("0x10", P(400, "invalid_request"), "decimal only"),
            ("1e3", P(400, "invalid_request"), "decimal only"),
            ("99999999999999999999999", P(413, "payload_too_large"),
             "a number too large for size_t saturates: too large, not malformed"),
            (str(len(vb) + 40), P(400, "invalid_request"),
             "the body ends before CONTENT_LENGTH: shorter than declared")):
        label = "unset" if cl is None else repr(cl)
        if cl == str(len(vb) + 40):
            label = "40 bytes larger than the body"
        out.append(("CONTENT_LENGTH %s" % label,
                    dict(body=vb, content_length=cl), want, why, False))
    out.append(("CONTENT_LENGTH smaller than the body (the rest: another body with the "
                "victim's code)", dict(body=ok + body_of(V, strong_password()),
                                       content_length=len(ok)),
                P(400, "invalid_validation_code"), "only CONTENT_LENGTH bytes are read",
                False))
    out.append(("a body of 10 MB, CONTENT_LENGTH 10485760",
                dict(body=b"{" + b" " * (10 * 1024 * 1024 - 2) + b"}"),
                P(413, "payload_too_large"), "refused from the length, unread", False))
    out.append(("REQUEST_METHOD unset", dict(body=vb, env={"REQUEST_METHOD": None}),
                P(405, "method_not_allowed"), "only POST", False))
    out.append(("REQUEST_METHOD empty", dict(body=vb, method=""),
                P(405, "method_not_allowed"), "only POST", False))
    out.append(("CONTENT_TYPE unset", dict(body=vb, content_type=None),
                P(415, "unsupported_media_type"), "only application/json", False))
    for label, addr in (("unset", None), ("not an address", "not-an-address"),
                        ("an IPv6 address with a zone", "fe80::1%eth0")):
        out.append(("REMOTE_ADDR %s, unknown code" % label,
                    dict(body=ok, env={"REMOTE_ADDR": addr}),
                    P(400, "invalid_validation_code"),
                    "answered as usual (failures counted under one key, \"unknown\")", False))
    out.append(("nesting 100,000 deep (max_body_bytes 1 MiB)",
                dict(body=b"[" * 100000 + b"]" * 100000), P(400, "invalid_request"),
                "json-c stops at depth 8 without recursing further", True))
    out.append(("nesting 100,000 deep inside an object with the victim's code "
                "(max_body_bytes 1 MiB)",
                dict(body=members(b'"validation_code": ' + json.dumps(V).encode() +
                                  b', "x": ' + b"{\"a\":" * 100000 + b"1" + b"}" * 100000)),
                P(400, "invalid_request"), "json-c stops at depth 8", True))
    out.append(("a password of 1,000,000 characters (max_body_bytes 1 MiB)",
                dict(body=body_of(V, "Aa1!" * 250000)),
                P(400, "invalid_password", ["too_long"]), "the rules", True))
    out.append(("a validation code of 1,000,000 characters (max_body_bytes 1 MiB)",
                dict(body=body_of("c" * 1000000, "Valid-Passw0rd")),
                P(400, "invalid_validation_code"), "refused without a lookup", True))
    out.append(("a password of 140,000 \\u0000 escapes (840 KB; max_body_bytes 1 MiB)",
                dict(body=members('"validation_code": %s, "password": "%s"'
                                  % (json.dumps(V), "\\u0000" * 140000))),
                P(400, "invalid_password", ["too_long", "too_few_character_classes",
                                            "control_character", "repetitive"]),
                "decoded, 140,000 control characters", True))
    return out


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME,
                                max_body_bytes=MAX_BODY).setup())
    big_conf = t.setup(f.write_config, name="big.conf", max_body_bytes=BIG_MAX_BODY)
    resp = t.setup(standalone_responder, f, workers=1)
    t.setup(share_with_web_user, f)   # account-reset.cgi reads the config as www-data
    ng = t.setup(lambda: Nginx(resp.socket).start())
    ap = t.setup(lambda: Apache("cgi", config=f.config_path).start())
    v_email, v_old, victim = t.setup(f.user_and_code)

    supervisor = resp.procs[0].pid
    fronts = [
        Front("nginx", ng, lambda: resp.stderr_text().decode("utf-8", "replace"),
              "request id=", lambda: [supervisor] + resp.workers(), spawns_early=False),
        Front("Apache mod_cgid", ap, ap.logs, "account-reset.cgi[",
              lambda: [ap.proc.pid] if ap.running() else [], spawns_early=True),
    ]
    t.diag("nginx worker %r, Apache pid %d" % (resp.workers(), ap.proc.pid))

    cases = catalogue(victim)
    for name, req, half_close, want_ng, want_ap, why in cases:
        run_entry(t, f, fronts[0], name, req, half_close, want_ng, why)
        run_entry(t, f, fronts[1], name, req, half_close, want_ap, why)

    # -- what no web server passes on: the CGI process and the FastCGI worker
    for name, kw, want, why, big in cgi_entries(victim):
        with t.claim("CGI process: %s -> %s; it exits 0, data unchanged" % (name, want)) as cl:
            cl.note("why: " + why)
            before = checksum(f)
            r = f.cgi(config=big_conf if big else None, **kw)
            cl.note(r.summary(300))
            want.check(r)
            expect_eq(r.returncode, 0, "exit status")
            expect_eq(checksum(f), before, "CHECKSUM TABLE")
        if big:
            continue
        with t.claim("FastCGI worker (cgi-fcgi): %s -> %s; the same worker answers the "
                     "probe, data unchanged" % (name, want)) as cl:
            before = checksum(f)
            r = resp.request(**kw)
            cl.note(r.summary(300))
            want.check(r)
            expect_error(resp.request(body=body_of(UNKNOWN, "Valid-Passw0rd")), 400,
                         "invalid_validation_code")
            expect_eq([supervisor] + resp.workers(), fronts[0].start_workers, "processes")
            expect_eq(checksum(f), before, "CHECKSUM TABLE")

    # -- duplicates are refused both ways round
    with t.claim("duplicate validation_code, an unknown one then a valid one: refused "
                 "(400 invalid_request), the valid code stays unused"):
        email, old, code = f.user_and_code()
        new = strong_password("Dup")
        f.note_secret(new)
        r = fronts[0].send(http(body=members('"validation_code": "%s", "validation_code": '
                                             '"%s", "password": "%s"' % (UNKNOWN, code, new))))
        f._note_answer(r)
        expect_error(r, 400, "invalid_request")
        expect(f.code_used_at(code) is None, "the code was used")
        expect_eq(f.check_password(email, old), 0, "check-password old")

    with t.claim("after the whole catalogue the victim's code is unused, its old password "
                 "valid, and the code now resets the password through Apache (200) and is "
                 "then refused through nginx"):
        expect(f.code_used_at(victim) is None, "the victim's code was used")
        expect_eq(f.check_password(v_email, v_old), 0, "old password")
        new = strong_password("Victim")
        f.note_secret(new)
        r = fronts[1].send(http(body=body_of(victim, new)))
        f._note_answer(r)
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(v_email, new), 0, "new password")
        expect_error(fronts[0].send(http(body=body_of(victim, strong_password()))), 400,
                     "invalid_validation_code")

    with t.claim("no worker died: the supervisor logged no death, Apache's error log "
                 "holds no CGI failure"):
        text = resp.log_text()
        expect(b"killed by signal" not in text and b"exited with" not in text,
               "supervisor: %r" % [l for l in text.splitlines() if b"worker" in l][:3])
        bad = [l for l in ap.logs().splitlines()
               if "End of script output" in l or "Premature end" in l or "signal" in l]
        expect(not bad, "Apache: %r" % bad[:3])

    with t.claim("an X-Request-Id that is not a request id never reaches a log line"):
        text = resp.log_text() + ap.logs().encode()
        expect(b"evil id" not in text, "the offered id was logged")

    with t.claim("no password, code or token used here appears in any log (the program's, "
                 "nginx's, Apache's, the CGI processes')"):
        text = (resp.log_text() + ng.logs().encode() + ap.logs().encode() + f.cgi_log()
                + b"".join(resp.stream_stderr))
        leaked = f.leaks(text)
        expect(not leaked, "%d secret(s):\n%s" % (len(leaked), f.leak_report(text)))

    with t.claim("nginx and Apache stop on SIGTERM; the responder stops with status 0"):
        expect_eq(ng.stop(), 0, "nginx")
        expect_eq(ap.stop(), 0, "apache")
        expect_eq(resp.stop(), [0], "responder")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
