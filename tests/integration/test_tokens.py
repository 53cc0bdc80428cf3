#!/usr/bin/env python3
"""test_tokens.py: the access-token check (GET /api/v2/account/token/check/,
the location nginx's auth_request asks) against a real MariaDB, as CGI:
a valid token answers 200 with the user, scope and client in X- headers
and no body; a missing, malformed, unknown, expired token, or one revoked
by a later reset, by the admin CLI or by its client, answers 401 with the
RFC 6750 challenge; the check is one indexed lookup by digest (EXPLAIN);
a database that is down answers 503, never 2xx."""

from harness import TAP, Fixture, expect, expect_eq, expect_error, sha256_hex
from tokens import (CHECK_PATH, REVOKE_PATH, check, expect_authorized, expect_unauthorized,
                    form, login, send)

CLIENT_ID = "it-client"
SCOPE = "read write"


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    email, uid, tok = t.setup(login, f)

    with t.claim("a valid access token: 200, X-User-Id, X-Scope and X-Client-Id, "
                 "no body, Cache-Control: no-store"):
        expect_authorized(check(f, tok["access_token"]), uid, CLIENT_ID, SCOPE)

    with t.claim("the scheme is case-insensitive (RFC 6750 2.1 follows RFC 7235)"):
        expect_authorized(check(f, header="bearer " + tok["access_token"]), uid, CLIENT_ID,
                          SCOPE)

    with t.claim("any method: nginx's subrequest carries the original request's"):
        r = send(f, CHECK_PATH, method="POST", content_type=None,
                 env={"HTTP_AUTHORIZATION": "Bearer " + tok["access_token"]})
        expect_authorized(r, uid, CLIENT_ID, SCOPE)

    with t.claim("no Authorization header: 401 with a Bearer challenge that names no "
                 "error (RFC 6750 3.1)"):
        r = check(f)
        expect_unauthorized(r, error=None)
        expect_error(r, 401, "unauthorized")

    for desc, header in (("Basic credentials", "Basic dXNlcjpwYXNz"),
                         ("two words after Bearer", "Bearer abc def"),
                         ("Bearer with no token", "Bearer "),
                         ("a token with a quote", 'Bearer abc"def'),
                         ("a token longer than 256 characters", "Bearer " + "A" * 300)):
        with t.claim("a malformed Authorization header (%s): 401 invalid_token" % desc):
            r = check(f, header=header)
            expect_unauthorized(r)
            expect_error(r, 401, "invalid_token")

    with t.claim("an unknown token: 401 invalid_token"):
        expect_unauthorized(check(f, "A" * 43))

    with t.claim("the refresh token is not an access token: 401"):
        expect_unauthorized(check(f, tok["refresh_token"]))

    with t.claim("an expired access token: 401 invalid_token"):
        _, uid2, tok2 = login(f)
        expect_authorized(check(f, tok2["access_token"]), uid2, CLIENT_ID, SCOPE)
        f.db.sql("UPDATE tokens SET access_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                 "WHERE access_sha256 = '%s'" % sha256_hex(tok2["access_token"]))
        expect_unauthorized(check(f, tok2["access_token"]))

    with t.claim("a token revoked by a later reset of the same account: 401"):
        code = f.issue_code(email)
        r = f.cgi({"validation_code": code, "password": "Another-Passw0rd!"})
        expect_eq(r.status, 200, "the second reset")
        expect_unauthorized(check(f, tok["access_token"]))
        tok = r.json["token"]
        expect_authorized(check(f, tok["access_token"]), uid, CLIENT_ID, SCOPE)

    with t.claim("a token revoked by the admin CLI (revoke-tokens): 401"):
        r = f.admin("revoke-tokens", email)
        expect_eq(r.returncode, 0, "revoke-tokens exit status (%s)" % r.stderr)
        expect_unauthorized(check(f, tok["access_token"]))

    with t.claim("a token revoked by its client (RFC 7009): 401"):
        _, uid3, tok3 = login(f)
        expect_authorized(check(f, tok3["access_token"]), uid3, CLIENT_ID, SCOPE)
        r = send(f, REVOKE_PATH, form(f, token=tok3["access_token"]))
        expect_eq(r.status, 200, "revocation")
        expect_unauthorized(check(f, tok3["access_token"]))

    with t.claim("the check is one lookup by the unique digest index (EXPLAIN: "
                 "const access on tokens_access)"):
        rows = f.db.sql("EXPLAIN SELECT user_id, client_id, scope FROM tokens "
                        "WHERE access_sha256 = '%s' AND revoked_at IS NULL "
                        "AND access_expires_at > UTC_TIMESTAMP(6)" % ("0" * 64))
        expect_eq(len(rows), 1, "one table")
        text = " ".join(str(c) for c in rows[0])
        expect("tokens_access" in text or "Impossible WHERE" in text
               or "no matching row" in text, "EXPLAIN: %s" % text)

    with t.claim("neither the log nor an answer holds a token"):
        text = f.cgi_log()
        expect(not f.leaks(text), f.leak_report(text))

    _, uid4, tok4 = login(f)
    f.db.stop()
    with t.claim("the database down: 503 temporarily_unavailable with Retry-After, "
                 "never 2xx"):
        r = check(f, tok4["access_token"])
        expect_error(r, 503, "temporarily_unavailable")
        expect(r.header("x-user-id") is None, "no X-User-Id on a 503")

    t.done()


if __name__ == "__main__":
    main()
