#!/usr/bin/env python3
"""test_cgi_attempts.py: the attempt limit under CGI, with requests that
arrive together (issue 19, "Also").  A CGI process used to count its
failed code as it exited, so concurrent processes all checked before any
wrote: CONCURRENT guesses at once were all looked up, whatever the limit.
Now each CGI process counts its attempt before it looks the code up (and
takes it back when the code is valid or it is refused), so of guesses
that arrive together at most attempt_limit are looked up (README section
7), every one of them is counted (and no refused one), and the budget
left is there for later guesses.  A valid code is not counted as a
failure.  The guesses race the way an attacker races them: each CGI
process gets all of its request but the last byte, and all get that byte
at once; without the fix some runs look up 4 of 8 with a limit of 3."""

import json
import secrets
import subprocess

import harness
from harness import (TAP, Fixture, expect, expect_eq, expect_error, parse_cgi_output,
                     scaled, strong_password, wait_for)

LIMIT = 2
CONCURRENT = 10
ADDR = "192.0.2.99"


def guess(f, addr=ADDR):
    return f.cgi({"validation_code": secrets.token_urlsafe(24), "password": strong_password()},
                 env={"REMOTE_ADDR": addr})


def blocked_reading_stdin(pid):
    """Whether the process sits in read(0, ...) (x86_64: syscall 0)."""
    try:
        with open("/proc/%d/syscall" % pid) as fh:
            fields = fh.read().split()
    except OSError:
        return False
    return len(fields) > 1 and fields[0] == "0" and fields[1] == "0x0"


def last_byte_guesses(f, n):
    """n guesses the way an attacker races them: n CGI processes get all
    of their request but its last byte, and once every one of them waits
    for it, all get it at once.  Returns the statuses."""
    procs = []
    for _ in range(n):
        data = json.dumps({"validation_code": secrets.token_urlsafe(24),
                           "password": strong_password()}).encode()
        env = harness._base_env()
        env.update(f.request_env("POST", data, "application/json", harness.AUTO,
                                 {"REMOTE_ADDR": ADDR}))
        env["ACCOUNT_RESET_CONFIG"] = f.config_path
        env["SCRIPT_FILENAME"] = f.cgi_program
        p = subprocess.Popen(harness._wrapper("AR_CGI_WRAPPER") + [f.cgi_program],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        p.stdin.write(data[:-1])
        p.stdin.flush()
        procs.append((p, data[-1:]))
    all_waiting = wait_for(lambda: all(blocked_reading_stdin(p.pid) for p, _ in procs),
                           scaled(30))
    for p, last in procs:
        p.stdin.write(last)
        p.stdin.close()
        p.stdin = None  # communicate() below only reads
    statuses = []
    for p, _ in procs:
        out, err = p.communicate(timeout=scaled(60))
        f.cgi_stderr.append(err)
        statuses.append(parse_cgi_output(out).status)
    return all_waiting, statuses


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=LIMIT,
                                attempt_window=600).setup())

    with t.claim("%d CGI guesses at once from one address: at most attempt_limit (%d) "
                 "are looked up, the rest get 429" % (CONCURRENT, LIMIT)) as cl:
        all_waiting, statuses = last_byte_guesses(f, CONCURRENT)
        expect(all_waiting, "not every CGI process waited for its last byte")
        cl.note("statuses %r" % statuses)
        looked_up = statuses.count(400)
        # All of them may be refused: each counted itself before any
        # looked: a refused one takes its attempt back (claim 2).
        expect(looked_up <= LIMIT, "%d guesses looked up" % looked_up)
        expect(all(s in (400, 429) for s in statuses), "statuses %r" % statuses)

    with t.claim("every looked-up guess was counted, and nothing else: one at a time, "
                 "the client then gets what is left of attempt_limit, then 429"):
        n = int(f.db.sql_value("SELECT COALESCE(SUM(failures), 0) FROM attempt_failures "
                               "WHERE client_key = '%s'" % ADDR))
        expect_eq(n, looked_up, "failures counted")
        # Guesses that raced may all have been refused: a refused one is
        # not an attempt, so the rest of the budget is still there.
        for _ in range(LIMIT - looked_up):
            expect_error(guess(f), 400, "invalid_validation_code")
        expect_error(guess(f), 429, "too_many_requests")

    with t.claim("a valid code, at the limit minus one, is not counted as a failure"):
        addr = "192.0.2.100"
        for _ in range(LIMIT - 1):
            expect_eq(guess(f, addr).status, 400, "a wrong guess")
        user, _ = f.create_user()
        code = f.issue_code(user)
        r = f.cgi({"validation_code": code, "password": strong_password()},
                  env={"REMOTE_ADDR": addr})
        expect_eq(r.status, 200, "the valid code")
        n = int(f.db.sql_value("SELECT COALESCE(SUM(failures), 0) FROM attempt_failures "
                               "WHERE client_key = '%s'" % addr))
        expect_eq(n, LIMIT - 1, "failures counted")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
