#!/usr/bin/env python3
"""test_concurrency.py: racing requests, against a real MariaDB.

Sixteen requests released together by a barrier, each its own process,
carry one valid code and sixteen different valid passwords: exactly one
gets 200, the other fifteen get invalid_validation_code, and the database
holds the winner's password and token only.  The race is run through
FastCGI (4 responders sharing one socket, as spawn-fcgi -F 4 runs them),
through 16 CGI processes, and through the program's own pre-forked
workers (--listen --workers 4).  Also: 16 different codes of one user
racing (one reset wins), and 16 users resetting at once (all succeed).

PBKDF2 runs with 20000 iterations here so that the requests overlap
between the code lookup and the transaction, where the race is.
"""

import os
import sys

from harness import (TAP, Fixture, expect, expect_eq, expect_error, expect_token,
                     run_parallel, strong_password, verify_django_record)

N = 16
CLIENT_ID = "race-client"
SCOPE = "read write"
LIFETIME = 3600
ITERATIONS = 20000


def payload(code, password):
    return {"validation_code": code, "password": password}


def describe(results):
    out = []
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            out.append("%d: exception %r" % (i, r))
        else:
            err = r.json.get("error") if isinstance(r.json, dict) else None
            out.append("%d: %s %s" % (i, r.status, err or ""))
    return "\n".join(out)


def same_code_race(t, f, label, send):
    """N requests, one code, N passwords."""
    email, old, code = f.user_and_code()
    passwords = [strong_password("Race%d" % i) for i in range(N)]
    for pw in passwords:
        f.note_secret(pw)
    results = run_parallel([lambda pw=pw: send(payload(code, pw)) for pw in passwords])
    winners = [i for i, r in enumerate(results)
               if not isinstance(r, BaseException) and r.status == 200]

    with t.claim("%s: %d concurrent requests with one code: exactly one gets 200 with "
                 "the token object" % (label, N)):
        expect_eq(len(winners), 1, "200 answers (%s)" % describe(results))
        expect_token(results[winners[0]], CLIENT_ID, SCOPE, LIFETIME)

    with t.claim("%s: the other %d get 400 invalid_validation_code" % (label, N - 1)):
        wrong = []
        for i, r in enumerate(results):
            if i in winners:
                continue
            try:
                if isinstance(r, BaseException):
                    raise r
                expect_error(r, 400, "invalid_validation_code")
            except Exception as e:
                wrong.append("%d: %s" % (i, e))
        expect(not wrong and len(results) - len(winners) == N - 1,
               "%d wrong:\n%s" % (len(wrong), "\n".join(wrong)))

    with t.claim("%s: the database holds the winner's password and token only, and the "
                 "code is used" % label):
        expect_eq(len(winners), 1, "winners")
        w = winners[0]
        rec = f.password_record(email)
        expect(verify_django_record(rec, passwords[w]), "stored record is not the winner's")
        others = [i for i in range(N) if i != w and verify_django_record(rec, passwords[i])]
        expect(not others, "record also matches request(s) %r" % others)
        expect_eq(f.check_password(email, passwords[w]), 0, "check-password winner")
        expect_eq(f.open_tokens(email), 1, "open tokens of the user")
        row = f.token_row(results[w].json["token"]["access_token"])
        expect(row is not None and row["revoked_at"] is None, "winner's token row %r" % row)
        expect(f.code_used_at(code) is not None, "code not used")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=ITERATIONS, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    shared = t.setup(f.fastcgi, children=4)
    own = t.setup(f.fastcgi, children=4, mode="listen")

    same_code_race(t, f, "FastCGI, 4 responders on one socket",
                   lambda p: shared.request(p, timeout=60))
    same_code_race(t, f, "16 CGI processes", lambda p: f.cgi(p, timeout=60))
    same_code_race(t, f, "account-reset --listen --workers 4",
                   lambda p: own.request(p, timeout=60))

    # -- N codes of one user at once: one reset, the others ended by it
    email, old = t.setup(f.create_user)
    codes = [t.setup(f.issue_code, email) for _ in range(N)]
    passwords = [strong_password("Multi%d" % i) for i in range(N)]
    for pw in passwords:
        f.note_secret(pw)
    results = run_parallel([lambda c=c, pw=pw: f.cgi(payload(c, pw), timeout=60)
                            for c, pw in zip(codes, passwords)])
    winners = [i for i, r in enumerate(results)
               if not isinstance(r, BaseException) and r.status == 200]
    with t.claim("%d concurrent requests with %d different codes of one user: exactly "
                 "one reset succeeds, the others get invalid_validation_code" % (N, N)):
        expect_eq(len(winners), 1, "200 answers (%s)" % describe(results))
        for i, r in enumerate(results):
            if i not in winners:
                expect(not isinstance(r, BaseException), "request %d: %r" % (i, r))
                expect_error(r, 400, "invalid_validation_code")
    with t.claim("...and every one of those codes is ended, the winner's password stored"):
        expect_eq(sum(1 for c in codes if f.code_used_at(c) is None), 0, "open codes")
        expect(winners and f.check_password(email, passwords[winners[0]]) == 0,
               "winner's password not stored")
        expect_eq(f.open_tokens(email), 1, "open tokens")

    # -- N users at once: no false conflict
    users = [t.setup(f.user_and_code) for _ in range(N)]
    passwords = [strong_password("User%d" % i) for i in range(N)]
    for pw in passwords:
        f.note_secret(pw)
    results = run_parallel([lambda u=u, pw=pw: shared.request(payload(u[2], pw), timeout=60)
                            for u, pw in zip(users, passwords)])
    with t.claim("%d different users resetting at once through FastCGI all get 200" % N):
        bad = [i for i, r in enumerate(results)
               if isinstance(r, BaseException) or r.status != 200]
        expect(not bad, "not 200: %r\n%s" % (bad, describe(results)))
    with t.claim("...and each of them has the password they sent"):
        bad = [u[0] for u, pw in zip(users, passwords)
               if not verify_django_record(f.password_record(u[0]), pw)]
        expect(not bad, "wrong password for %r" % bad)

    with t.claim("all FastCGI responders are still running after the races"):
        expect(shared.alive(), "a shared-socket responder exited")
        expect(own.alive() and len(own.workers()) == 4,
               "--listen supervisor alive %s, workers %r" % (own.alive(), own.workers()))

    with t.claim("no password, code or token used here appears in any log"):
        text = f.cgi_log() + shared.log_text() + own.log_text()
        leaked = f.leaks(text)
        expect(not leaked, "%d secret(s):\n%s" % (len(leaked), f.leak_report(text)))

    with t.claim("SIGTERM stops --listen's supervisor and its workers within 10 s"):
        workers = own.workers()
        expect_eq(own.stop(grace=10.0), [0], "supervisor exit status")
        alive = [p for p in workers if os.path.exists("/proc/%d" % p)
                 and open("/proc/%d/stat" % p).read().split()[2] != "Z"]
        expect(not alive, "workers still running: %r" % alive)

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
