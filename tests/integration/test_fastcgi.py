#!/usr/bin/env python3
"""test_fastcgi.py: the responder under FastCGI, against a real MariaDB.

account-reset is started by `spawn-fcgi -n` on a Unix socket and every
request goes through `cgi-fcgi -bind -connect`, as a web server would send
it.  A full reset; a handful of refusals; fifty mixed requests on the one
worker, all answered correctly on one database connection and one log
line each; no secret in the log; a clean stop on SIGTERM.
"""

import collections
import re
import sys
import time

from harness import (Fixture, TAP, expect, expect_eq, expect_error, expect_token,
                     padded_body, reset_payload as payload, sha256_hex, strong_password,
                     unknown_code, verify_django_record)

CLIENT_ID = "fcgi-client"
SCOPE = "openid profile"
LIFETIME = 900
MAX_BODY = 8192


def connections(f):
    """The server's count of connection attempts (this query is one)."""
    return int(f.db.sql("SHOW GLOBAL STATUS LIKE 'Connections'")[0][1])


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME,
                                max_body_bytes=MAX_BODY).setup())
    fc = t.setup(f.fastcgi)

    # -- a full reset
    email, old, code = f.user_and_code()
    old_token = f.insert_token(email)
    new = strong_password("New")
    r = fc.request(payload(code, new))
    tok = {}
    with t.claim("a valid code and password through FastCGI get 200 with exactly the "
                 "spec's token object and no-store headers"):
        tok.update(expect_token(r, CLIENT_ID, SCOPE, LIFETIME))

    with t.claim("the new password is stored as a pbkdf2_sha256 record hashlib verifies; "
                 "check-password: new 0, old 1"):
        expect(verify_django_record(f.password_record(email), new), "record does not verify")
        expect_eq(f.check_password(email, new), 0, "check-password new")
        expect_eq(f.check_password(email, old), 1, "check-password old")

    with t.claim("the code is used, the old token revoked, and the new token stored as "
                 "digests with this config's client_id, scope and lifetime"):
        expect(f.code_used_at(code) is not None, "code not marked used")
        expect(f.token_revoked_at(old_token) is not None, "old token not revoked")
        row = f.token_row(tok.get("access_token", ""))
        expect(row is not None, "no tokens row for sha256(access_token)")
        expect_eq(row["refresh_sha256"], sha256_hex(tok["refresh_token"]), "refresh_sha256")
        expect_eq((row["client_id"], row["scope"]), (CLIENT_ID, SCOPE), "client_id, scope")
        expect(LIFETIME - 60 <= row["access_seconds_left"] <= LIFETIME,
               "access token expires in %d s" % row["access_seconds_left"])

    with t.claim("the same code a second time gets 400 invalid_validation_code"):
        expect_error(fc.request(payload(code, strong_password())), 400,
                     "invalid_validation_code")

    # -- a handful of refusals
    email2, old2, code2 = f.user_and_code()
    refusals = (
        ("GET gets 405 with Allow: POST", (405, "method_not_allowed"),
         dict(method="GET", content_type=None)),
        ("text/plain gets 415", (415, "unsupported_media_type"),
         dict(payload=payload(code2), content_type="text/plain")),
        ("a missing CONTENT_LENGTH gets 411", (411, "length_required"),
         dict(payload=payload(code2), content_length=None)),
        ("a body of %d bytes gets 413" % (MAX_BODY + 808), (413, "payload_too_large"),
         dict(body=padded_body(code2, "Valid-Passw0rd", MAX_BODY + 808))),
        ("a body that is not JSON gets 400 invalid_request", (400, "invalid_request"),
         dict(body=b"{not json}")),
        ("a password as a number gets 400 invalid_request", (400, "invalid_request"),
         dict(payload={"validation_code": code2, "password": 12345678})),
        ("a weak password gets 400 invalid_password naming every failed rule",
         (400, "invalid_password", ["too_short", "too_few_character_classes"]),
         dict(payload=payload(code2, "abc"))),
        ("an unknown code gets 400 invalid_validation_code",
         (400, "invalid_validation_code"), dict(payload=payload(unknown_code()))),
    )
    for desc, want, kw in refusals:
        with t.claim(desc) as cl:
            r = fc.request(**kw)
            cl.note(r.summary())
            expect_error(r, *want)

    with t.claim("after those refusals the code is unused and then works (200)"):
        expect(f.code_used_at(code2) is None, "code marked used by a refusal")
        expect_token(fc.request(payload(code2, strong_password())), CLIENT_ID, SCOPE,
                     LIFETIME)

    # -- fifty mixed requests on one worker
    pids_before = fc.workers()
    plan = []
    for round_ in range(5):
        e, pw, c = f.user_and_code()
        fresh = strong_password()
        plan += [
            ("success", dict(payload=payload(c, fresh)), (200, None), (e, fresh)),
            ("used code", dict(payload=payload(c, strong_password())),
             (400, "invalid_validation_code"), None),
            ("unknown code", dict(payload=payload(unknown_code())),
             (400, "invalid_validation_code"), None),
            ("bad JSON", dict(body=b'{"validation_code": '), (400, "invalid_request"), None),
            ("weak password", dict(payload=payload(unknown_code(), "password")),
             (400, "invalid_password"), None),
            ("GET", dict(method="GET", content_type=None), (405, "method_not_allowed"), None),
            ("413 with its body sent",
             dict(body=padded_body(unknown_code(), "Valid-Passw0rd", 3 * MAX_BODY)),
             (413, "payload_too_large"), None),
            ("415", dict(payload=payload(unknown_code()), content_type="text/html"),
             (415, "unsupported_media_type"), None),
            ("maximal body", dict(body=padded_body(unknown_code(), "Valid-Passw0rd", MAX_BODY)),
             (400, "invalid_validation_code"), None),
            ("411", dict(payload=payload(unknown_code()), content_length=None),
             (411, "length_required"), None),
        ]
    lines_before = len(fc.log_lines())
    conns_before = connections(f)
    wrong = []
    successes = []
    for i, (kind, kw, (status, code_), check) in enumerate(plan):
        try:
            r = fc.request(timeout=30, **kw)
            if status == 200:
                expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
                successes.append(check)
            else:
                expect_error(r, status, code_)
        except AssertionError as e:
            wrong.append("request %d (%s): %s" % (i + 1, kind, e))
    conns_after = connections(f)
    time.sleep(0.1)
    log_after = fc.log_lines()

    with t.claim("%d mixed requests (5 resets, 45 refusals of 9 kinds) in a row on one "
                 "worker are each answered correctly" % len(plan)):
        expect(not wrong, "%d wrong:\n%s" % (len(wrong), "\n".join(wrong)))

    with t.claim("...and each of the 5 resets stored its password"):
        bad = [e for e, pw in successes if f.check_password(e, pw) != 0]
        expect_eq(len(successes), 5, "resets answered 200")
        expect(not bad, "check-password failed for %r" % bad)

    with t.claim("...by the same worker process, still running"):
        expect_eq(fc.workers(), pids_before, "worker pids")
        expect(fc.alive(), "the responder exited")

    with t.claim("...on its one kept database connection (at most one new connection "
                 "for %d requests)" % len(plan)):
        opened = conns_after - conns_before - 1  # the second count is one itself
        expect(opened <= 1, "%d connections opened" % opened)

    with t.claim("...and each request wrote exactly one log line, with its status"):
        new_lines = log_after[lines_before:]
        expect_eq(len(new_lines), len(plan), "new log lines")
        text = [l.decode("utf-8", "replace") for l in new_lines]
        want = collections.Counter(s for _, _, (s, _), _ in plan)
        for status, n in want.items():
            got = sum(1 for l in text if re.search(r"\b%d\b" % status, l))
            expect(got >= n, "%d lines mention status %d, want %d" % (got, status, n))

    with t.claim("no password, code or token used here appears in the responder's log "
                 "(its stderr and the FastCGI stderr stream; %d secrets)" % len(f.secrets)):
        leaked = f.leaks(fc.log_text())
        expect(not leaked, "%d secret(s) in the log:\n%s"
               % (len(leaked), f.leak_report(fc.log_text())))

    with t.claim("SIGTERM stops the idle responder within 5 s with exit status 0"):
        start = time.monotonic()
        statuses = fc.stop(grace=5.0)
        took = time.monotonic() - start
        expect(took < 5.0, "took %.1f s (then killed)" % took)
        expect_eq(statuses, [0], "exit status")

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
