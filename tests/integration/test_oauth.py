#!/usr/bin/env python3
"""test_oauth.py: the OAuth 2.0 endpoints against a real MariaDB, as CGI:
the refresh grant (RFC 6749 6) with rotation and reuse detection (RFC 9700
4.14.2), introspection (RFC 7662) for callers of
introspection_clients_file, revocation (RFC 7009); errors in RFC 6749 5.2
form with no-store; bad requests change nothing; the attempt limit on
refresh and introspection; no token or secret in the log."""

import base64

from harness import TAP, Fixture, expect, expect_eq, expect_error, expect_token, sha256_hex
import itertools

from tokens import (INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH, check, expect_authorized,
                    expect_unauthorized, form, login, send, write_clients_file)
from tokens import refresh as refresh_from

CLIENT_ID = "it-client"
SCOPE = "read write"
RS_ID, RS_SECRET = "resource-server", "rs-secret-" + "x7Q2" * 8
LIMIT = 4


# Every request from an address of its own, so that the failures the
# claims provoke never add up to the limit, but in the claims of the limit.
_hosts = itertools.count(1)


def fresh_addr():
    n = next(_hosts)
    return "203.0.113.%d" % n if n < 255 else "192.0.2.%d" % (n - 254)


def refresh(f, token, addr=None, **extra):
    return refresh_from(f, token, addr=addr or fresh_addr(), **extra)


def basic(cid, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (cid, secret)).encode()).decode()


def introspect(f, token, auth=None, addr=None, **extra):
    env = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return send(f, INTROSPECT_PATH, form(f, token=token, **extra), env=env,
                addr=addr or fresh_addr())


def family_open(f, user_id):
    return int(f.db.sql_value("SELECT COUNT(*) FROM tokens WHERE user_id = %d "
                              "AND revoked_at IS NULL" % int(user_id)))


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, token_attempt_limit=LIMIT,
                                attempt_window=600).setup())
    f.settings["introspection_clients_file"] = write_clients_file(f, {RS_ID: RS_SECRET})
    f.write_config()
    email, uid, tok = t.setup(login, f)

    with t.claim("refresh: 200 and a new pair in the spec's token shape, the old refresh "
                 "token ends, the new access token passes the check"):
        r = refresh(f, tok["refresh_token"])
        expect_token(r, CLIENT_ID, SCOPE, 3600)
        new = r.json["token"]
        expect(new["access_token"] != tok["access_token"], "a new access token")
        expect(new["refresh_token"] != tok["refresh_token"], "a new refresh token")
        expect_authorized(check(f, new["access_token"]), uid, CLIENT_ID, SCOPE)
        expect_unauthorized(check(f, tok["access_token"]))
        row = f.token_row(new["access_token"])
        expect_eq(row["refresh_sha256"], sha256_hex(new["refresh_token"]), "stored digest")
        fam = f.db.sql_value("SELECT family_id FROM tokens WHERE access_sha256 = '%s'"
                             % sha256_hex(new["access_token"]))
        first = f.db.sql_value("SELECT id FROM tokens WHERE access_sha256 = '%s'"
                               % sha256_hex(tok["access_token"]))
        expect_eq(fam, first, "the new row is in the first row's family")

    with t.claim("refresh again with the new token: rotation goes on"):
        r = refresh(f, new["refresh_token"])
        expect_token(r, CLIENT_ID, SCOPE, 3600)
        newer = r.json["token"]

    with t.claim("a rotated refresh token used again: 400 invalid_grant, the whole family "
                 "ends (the newest access token too), and the log says so"):
        r = refresh(f, tok["refresh_token"])
        expect_error(r, 400, "invalid_grant")
        expect_eq(family_open(f, uid), 0, "open tokens of the user")
        expect_unauthorized(check(f, newer["access_token"]))
        expect_error(refresh(f, newer["refresh_token"]), 400, "invalid_grant")
        expect(b"refresh token reuse" in r.stderr, "log: %r" % r.stderr[-300:])

    with t.claim("an unknown refresh token: 400 invalid_grant, nothing changes"):
        _, uid2, tok2 = login(f)
        expect_error(refresh(f, "B" * 43), 400, "invalid_grant")
        expect_eq(family_open(f, uid2), 1, "open tokens")

    with t.claim("a refresh token bound to another client_id: invalid_grant, nothing "
                 "changes"):
        expect_error(refresh(f, tok2["refresh_token"], client_id="someone-else"), 400,
                     "invalid_grant")
        expect_eq(family_open(f, uid2), 1, "open tokens")

    with t.claim("an expired refresh token: invalid_grant"):
        f.db.sql("UPDATE tokens SET refresh_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
                 "SECOND WHERE user_id = %d" % int(uid2))
        expect_error(refresh(f, tok2["refresh_token"]), 400, "invalid_grant")

    _, uid3, tok3 = login(f)
    for desc, body, ctype, status, code in (
            ("no grant_type", form(f, refresh_token=tok3["refresh_token"]), None, 400,
             "invalid_request"),
            ("grant_type password", form(f, grant_type="password", username="a",
                                         password="Passw0rd-x"), None, 400,
             "unsupported_grant_type"),
            ("no refresh_token", b"grant_type=refresh_token", None, 400, "invalid_request"),
            ("refresh_token twice (RFC 6749 3.2)",
             form(f, grant_type="refresh_token", refresh_token=tok3["refresh_token"]) +
             b"&refresh_token=x", None, 400, "invalid_request"),
            ("a bad %-escape", b"grant_type=refresh_token&refresh_token=%zz", None, 400,
             "invalid_request"),
            ("a NUL byte", b"grant_type=refresh_token&refresh_token=a%00b", None, 400,
             "invalid_request"),
            ("a JSON body", b'{"grant_type":"refresh_token"}', "application/json", 415,
             "unsupported_media_type"),
            ("a refresh_token of 300 characters",
             b"grant_type=refresh_token&refresh_token=" + b"A" * 300, None, 400,
             "invalid_request")):
        with t.claim("token endpoint, %s: %d %s, nothing changes" % (desc, status, code)):
            r = send(f, TOKEN_PATH, body, content_type=ctype or
                     "application/x-www-form-urlencoded")
            expect_error(r, status, code)
            expect_eq(family_open(f, uid3), 1, "open tokens")

    with t.claim("token endpoint, GET: 405 with Allow: POST"):
        expect_error(send(f, TOKEN_PATH, method="GET", content_type=None), 405,
                     "method_not_allowed")

    with t.claim("introspection without credentials: 401 invalid_client with a Basic "
                 "challenge"):
        r = introspect(f, tok3["access_token"])
        expect_error(r, 401, "invalid_client")
        expect((r.header("www-authenticate") or "").startswith("Basic "),
               "WWW-Authenticate %r" % r.header("www-authenticate"))

    with t.claim("introspection with a wrong secret or an unknown id: 401 invalid_client"):
        expect_error(introspect(f, tok3["access_token"], basic(RS_ID, RS_SECRET + "x")),
                     401, "invalid_client")
        expect_error(introspect(f, tok3["access_token"], basic("other", RS_SECRET)),
                     401, "invalid_client")

    with t.claim("introspection of a live access token: active, scope, client_id, sub "
                 "(the user id), exp, token_type; no-store"):
        r = introspect(f, tok3["access_token"], basic(RS_ID, RS_SECRET))
        expect_eq(r.status, 200, "status")
        d = r.json
        expect_eq(set(d), {"active", "scope", "client_id", "sub", "exp", "token_type"},
                  "members")
        expect_eq((d["active"], d["scope"], d["client_id"], d["sub"]),
                  (True, SCOPE, CLIENT_ID, str(uid3)), "values")
        expect(isinstance(d["exp"], int) and d["exp"] > 0, "exp %r" % d["exp"])
        expect_eq(r.header("cache-control"), "no-store", "Cache-Control")

    with t.claim("introspection of a refresh token (with or without the hint): active"):
        for extra in ({}, {"token_type_hint": "refresh_token"},
                      {"token_type_hint": "access_token"}):
            r = introspect(f, tok3["refresh_token"], basic(RS_ID, RS_SECRET), **extra)
            expect(r.status == 200 and r.json.get("active") is True, r.summary())

    with t.claim("introspection of an unknown token: {\"active\": false} and nothing else"):
        r = introspect(f, "C" * 43, basic(RS_ID, RS_SECRET))
        expect_eq((r.status, r.json), (200, {"active": False}), "answer")

    with t.claim("revocation of a refresh token: 200 {}, its family ends (access token "
                 "too), introspection says inactive"):
        r = send(f, REVOKE_PATH, form(f, token=tok3["refresh_token"],
                                      token_type_hint="refresh_token"))
        expect_eq((r.status, r.json), (200, {}), "answer")
        expect_unauthorized(check(f, tok3["access_token"]))
        r = introspect(f, tok3["access_token"], basic(RS_ID, RS_SECRET))
        expect_eq(r.json, {"active": False}, "introspection")

    with t.claim("revocation of an unknown token: 200 {} (RFC 7009 2.2); of nothing: 400 "
                 "invalid_request"):
        r = send(f, REVOKE_PATH, form(f, token="D" * 43))
        expect_eq((r.status, r.json), (200, {}), "unknown token")
        expect_error(send(f, REVOKE_PATH, b"token_type_hint=access_token"), 400,
                     "invalid_request")

    with t.claim("refresh: past token_attempt_limit failures a client gets 429 with "
                 "Retry-After, even with a valid token, and another client does not"):
        _, uid5, tok5 = login(f)
        for _ in range(LIMIT):
            expect_error(refresh(f, "E" * 43, addr="198.51.100.7"), 400, "invalid_grant")
        r = refresh(f, tok5["refresh_token"], addr="198.51.100.7")
        expect_error(r, 429, "too_many_requests")
        expect(r.header("retry-after") is not None, "Retry-After")
        expect_eq(family_open(f, uid5), 1, "nothing changed")
        expect_token(refresh(f, tok5["refresh_token"], addr="198.51.100.8"), CLIENT_ID,
                     SCOPE, 3600)

    with t.claim("introspection: failed caller authentications count too: 429 past the "
                 "limit, even with the right secret"):
        for _ in range(LIMIT):
            expect_error(introspect(f, "F" * 43, basic(RS_ID, "wrong"),
                                    addr="198.51.100.9"), 401, "invalid_client")
        r = introspect(f, "F" * 43, basic(RS_ID, RS_SECRET), addr="198.51.100.9")
        expect_error(r, 429, "too_many_requests")

    with t.claim("an introspection_clients_file that group or others may read is refused "
                 "at start, naming the key"):
        import os
        path = f.settings["introspection_clients_file"]
        os.chmod(path, 0o640)
        r = check(f, "G" * 43)
        os.chmod(path, 0o600)
        expect(r.status == 500 or r.returncode != 0, "answer %s" % r.summary())
        expect(b"introspection_clients_file" in r.stderr, "stderr %r" % r.stderr[-300:])

    with t.claim("no token, refresh token or client secret in the log or the tables"):
        text = f.cgi_log()
        expect(not f.leaks(text), f.leak_report(text))
        dump = f.table_dump()
        expect(not f.leaks(dump), f.leak_report(dump))

    t.done()


if __name__ == "__main__":
    main()
