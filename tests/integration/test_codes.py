#!/usr/bin/env python3
"""test_codes.py: validation codes, against a real MariaDB, through CGI.

Unknown, expired (by its TTL, and by its row) and used codes get one and
the same answer; a reset ends the user's other open codes and revokes the
user's tokens, and touches no other user; a request refused for any reason
before the commit leaves the code usable; a code is matched exactly.
"""

import json
import secrets
import sys
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_error, expect_token,
                     sha256_hex, strong_password)

CLIENT_ID = "codes-client"
SCOPE = "read"
LIFETIME = 3600


def payload(code, password=None):
    return {"validation_code": code, "password": password or strong_password()}


def answer_key(r):
    """What a client (or an attacker) can see of an answer."""
    hdrs = [(k, v) for k, v in r.header_list if k not in ("date", "x-request-id")]
    return (r.status, tuple(hdrs), r.body)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    ok200 = lambda r: expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    # A code with a 1-second lifetime, issued first so that it has expired
    # by the time it is used below.
    ttl_email, ttl_old = t.setup(f.create_user)
    ttl_code = t.setup(f.issue_code, ttl_email, ttl=1)
    ttl_issued = time.monotonic()

    # -- one answer for unknown, expired and used codes
    email, old, used_code = t.setup(f.user_and_code)
    with t.claim("a valid code resets the password (200)"):
        ok200(f.cgi(payload(used_code)))

    exp_email, exp_old, row_expired = t.setup(f.user_and_code)
    t.setup(f.expire_code, row_expired)
    time.sleep(max(0.0, 2.2 - (time.monotonic() - ttl_issued)))

    answers = {}
    for name, code in (("unknown", secrets.token_urlsafe(24)),
                       ("expired by --ttl 1", ttl_code),
                       ("expired (expires_at in the past)", row_expired),
                       ("used", used_code)):
        with t.claim("a code that is %s gets 400 invalid_validation_code" % name) as cl:
            r = f.cgi(payload(code))
            cl.note(r.summary())
            expect_error(r, 400, "invalid_validation_code")
            answers[name] = r

    with t.claim("unknown, expired and used codes get byte-identical answers (status, "
                 "headers, body)"):
        expect_eq(len(answers), 4, "answers collected")
        keys = {name: answer_key(r) for name, r in answers.items()}
        first = keys["unknown"]
        differ = [name for name, k in keys.items() if k != first]
        expect(not differ, "differ from the unknown-code answer: %s\n%s" % (
            differ, "\n".join("%s: %r" % (n, keys[n]) for n in keys)))

    with t.claim("refused expired codes are not marked used and change no password"):
        expect(f.code_used_at(ttl_code) is None and f.code_used_at(row_expired) is None,
               "an expired code was marked used")
        expect_eq(f.check_password(ttl_email, ttl_old), 0, "password of the --ttl 1 user")
        expect_eq(f.check_password(exp_email, exp_old), 0, "password of the other user")
        expect_eq(f.open_tokens(ttl_email) + f.open_tokens(exp_email), 0, "tokens stored")

    # -- a reset ends the user's other codes, revokes tokens, and no more
    email, old = t.setup(f.create_user)
    codes = [t.setup(f.issue_code, email) for _ in range(3)]
    tokens = [t.setup(f.insert_token, email) for _ in range(2)]
    other_email, other_old, other_code = t.setup(f.user_and_code)
    other_token = t.setup(f.insert_token, other_email)
    new = strong_password("New")
    r = f.cgi(payload(codes[1], new))
    tok = {}
    with t.claim("with three open codes, the second one resets the password (200)"):
        tok.update(ok200(r))

    with t.claim("the reset ends the user's other open codes (used_at set on all three)"):
        expect_eq([f.code_used_at(c) is not None for c in codes], [True] * 3,
                  "used_at set")

    with t.claim("the user's other codes now get 400 invalid_validation_code"):
        for c in (codes[0], codes[2]):
            expect_error(f.cgi(payload(c)), 400, "invalid_validation_code")
        expect_eq(f.check_password(email, new), 0, "password after the refusals")

    with t.claim("the user's two earlier tokens are revoked and only the new one is open"):
        expect(all(f.token_revoked_at(x) is not None for x in tokens), "a token not revoked")
        expect_eq(f.open_tokens(email), 1, "open tokens")
        row = f.token_row(tok.get("access_token", ""))
        expect(row is not None and row["revoked_at"] is None, "new token row %r" % row)

    with t.claim("another user's code, token and password are untouched"):
        expect(f.code_used_at(other_code) is None, "other user's code ended")
        expect(f.token_revoked_at(other_token) is None, "other user's token revoked")
        expect_eq(f.check_password(other_email, other_old), 0, "other user's password")
        ok200(f.cgi(payload(other_code)))

    with t.claim("a new code for the same user works, and that reset revokes the token "
                 "the first reset gave"):
        c = f.issue_code(email)
        ok200(f.cgi(payload(c)))
        expect(f.token_row(tok["access_token"])["revoked_at"] is not None,
               "first reset's token still open")
        expect_eq(f.open_tokens(email), 1, "open tokens")

    with t.claim("replaying the exact successful request gets invalid_validation_code "
                 "and keeps the password it set"):
        email, old, code = f.user_and_code()
        body = json.dumps(payload(code, strong_password())).encode()
        pw = json.loads(body)["password"]
        f.note_secret(pw)
        ok200(f.cgi(body=body))
        expect_error(f.cgi(body=body), 400, "invalid_validation_code")
        expect_eq(f.check_password(email, pw), 0, "password")

    # -- refusals before the commit leave the code usable
    email, old, code = t.setup(f.user_and_code)
    good = payload(code, "Valid-Passw0rd")
    body = json.dumps(good).encode()
    refusals = (
        ("a body that is not JSON", (400, "invalid_request"), dict(body=body[:-1])),
        ("trailing garbage", (400, "invalid_request"), dict(body=body + b"]")),
        ("a missing password", (400, "invalid_request"),
         dict(payload={"validation_code": code})),
        ("a password that is not a string", (400, "invalid_request"),
         dict(payload={"validation_code": code, "password": ["Valid-Passw0rd"]})),
        ("invalid UTF-8", (400, "invalid_request"),
         dict(body=body.replace(b"Valid", b"Val\xffd"))),
        ("a password too short", (400, "invalid_password"),
         dict(payload=payload(code, "V4l!d"))),
        ("a password with too few classes", (400, "invalid_password"),
         dict(payload=payload(code, "validpassword"))),
        ("a password with a control character", (400, "invalid_password"),
         dict(payload=payload(code, "Valid-Passw0rd\r"))),
        ("the wrong content type", (415, "unsupported_media_type"),
         dict(payload=good, content_type="text/plain")),
        ("a missing length", (411, "length_required"),
         dict(payload=good, content_length=None)),
        ("a body over the limit", (413, "payload_too_large"),
         dict(body=body[:-1] + b', "pad": "' + b"x" * 9000 + b'"}')),
        ("a GET", (405, "method_not_allowed"), dict(method="GET", content_type=None)),
        ("a PUT with the valid body", (405, "method_not_allowed"),
         dict(method="PUT", payload=good)),
    )
    for desc, want, kw in refusals:
        with t.claim("%s with a valid code is refused (%d %s) and leaves the code unused"
                     % (desc, want[0], want[1])) as cl:
            r = f.cgi(**kw)
            cl.note(r.summary())
            expect_error(r, *want)
            expect(f.code_used_at(code) is None, "used_at set")

    with t.claim("after those refusals the old password still works and the code "
                 "resets it (200)"):
        expect_eq(f.check_password(email, old), 0, "old password")
        new = strong_password()
        ok200(f.cgi(payload(code, new)))
        expect_eq(f.check_password(email, new), 0, "new password")

    # -- a code is matched exactly
    email, old, code = t.setup(f.user_and_code)
    for desc, variant in (("in swapped case", code.swapcase()),
                          ("with a trailing space", code + " "),
                          ("with a leading space", " " + code),
                          ("without its last character", code[:-1]),
                          ("with one more character", code + "A"),
                          ("as its SHA-256 digest", sha256_hex(code))):
        with t.claim("the code %s is not accepted" % desc):
            expect_error(f.cgi(payload(variant)), 400, "invalid_validation_code")
    with t.claim("...and the code itself still works after them"):
        ok200(f.cgi(payload(code)))

    with t.claim("no password, code or token used here appears in the CGI stderr"):
        leaked = f.leaks(f.cgi_log())
        expect(not leaked, "%d secret(s) in the log:\n%s"
               % (len(leaked), f.leak_report(f.cgi_log())))

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
