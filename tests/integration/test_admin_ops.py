#!/usr/bin/env python3
"""test_admin_ops.py: the admin CLI as an operator uses it day to day.

--help exits 0 on stdout, --version names the package, an unknown command
says so; create-user on a terminal prompts without echo (a real pty) and
an empty password says "no password given"; list-codes, revoke-codes,
revoke-tokens, show-attempts and clear-attempts against a real MariaDB,
each checked against the tables and the responder's answers.
"""

import os
import pty
import re
import secrets
import select
import subprocess
import sys
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_error, strong_password,
                     verify_django_record, _base_env, scaled)

LIMIT = 2
WINDOW = 600


def run_on_pty(argv, typed, timeout=30.0):
    """Runs argv with a new pseudo-terminal as stdin/stdout/stderr and
    types each string of typed after the program has printed a prompt.
    Returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, _base_env())
    shown = b""
    deadline = time.monotonic() + scaled(timeout)
    pending = list(typed)
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                shown += data
            # a prompt ends in ": " and is waiting for a line
            if pending and shown.rstrip(b"\r\n").endswith(b":") or \
                    pending and shown.endswith(b": "):
                os.write(fd, pending.pop(0).encode() + b"\n")
                shown += b"\x00"  # marks where a line was typed
        # Never wait for ever: a program still waiting for input is
        # killed, and the claim fails on its exit status.
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.1)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.replace(b"\x00", b"")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=LIMIT,
                                attempt_window=WINDOW).setup())
    admin = f.admin

    with t.claim("--help exits 0 and lists every command on stdout"):
        r = admin("--help", config=False)
        expect_eq(r.returncode, 0, "exit status")
        for c in ("create-user", "issue-code", "check-password", "list-codes",
                  "revoke-codes", "revoke-tokens", "show-attempts", "clear-attempts"):
            expect(c in r.stdout, "%s not in %r" % (c, r.stdout))

    with t.claim("--version exits 0 and names the package"):
        r = admin("--version", config=False)
        expect_eq(r.returncode, 0, "exit status")
        expect(re.search(r"account-reset \d+\.\d+", r.stdout), "stdout %r" % r.stdout)

    with t.claim("an unknown command exits 2 and says it is unknown, by name"):
        r = admin("frobnicate", "a@b.test")
        expect_eq(r.returncode, 2, "exit status")
        expect("unknown command 'frobnicate'" in r.stderr, "stderr %r" % r.stderr)

    with t.claim("create-user with an empty password says 'no password given' and "
                 "creates no user"):
        e = f.new_email()
        r = admin("create-user", e, input="\n")
        expect_eq(r.returncode, 1, "exit status")
        expect("no password given" in r.stderr, "stderr %r" % r.stderr)
        expect("at least" not in r.stderr, "stderr %r" % r.stderr)
        expect(f.user_id(e) is None, "user created")

    with t.claim("create-user on a terminal prompts twice, does not echo the "
                 "password, and stores it"):
        e, pw = f.new_email(), strong_password("Tty")
        f.note_secret(pw)
        rc, shown = run_on_pty([f.admin_program, "--config", f.config_path,
                                "create-user", e], [pw, pw])
        expect_eq(rc, 0, "exit status (terminal showed %r)" % shown)
        expect(b"Password:" in shown and b"Again:" in shown, "prompts %r" % shown)
        expect(pw.encode() not in shown, "the password was echoed")
        expect(verify_django_record(f.password_record(e), pw), "record does not verify")

    with t.claim("create-user on a terminal refuses two different passwords"):
        e = f.new_email()
        p1, p2 = strong_password("One"), strong_password("Two")
        f.note_secret(p1)
        f.note_secret(p2)
        rc, shown = run_on_pty([f.admin_program, "--config", f.config_path,
                                "create-user", e], [p1, p2])
        expect_eq(rc, 2, "exit status (terminal showed %r)" % shown)
        expect(b"differ" in shown, "terminal %r" % shown)
        expect(f.user_id(e) is None, "user created")

    email, old = f.create_user()
    with t.claim("list-codes lists the open codes by id with their times, never the "
                 "code or its digest"):
        codes = [f.issue_code(email) for _ in range(3)]
        r = admin("list-codes", email)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        ids = [f.code_row(c)["id"] for c in codes]
        lines = [l for l in r.stdout.splitlines() if l.startswith("code ")]
        expect_eq([l.split()[1] for l in lines], ids, "listed ids")
        expect(all(re.match(r"code \d+ created \S+Z expires \S+Z\Z", l) for l in lines),
               "lines %r" % lines)
        expect("3 open codes" in r.stdout, "stdout %r" % r.stdout)
        for c in codes:
            expect(c not in r.stdout and f.code_row(c) and
                   __import__("hashlib").sha256(c.encode()).hexdigest() not in r.stdout,
                   "a code or digest printed")

    with t.claim("list-codes leaves out used and expired codes"):
        f.expire_code(codes[0])
        r = admin("list-codes", email)
        expect("2 open codes" in r.stdout, "stdout %r" % r.stdout)

    with t.claim("revoke-codes ends every open code: the responder then refuses them"):
        r = admin("revoke-codes", email)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect(re.search(r"\b2 codes revoked", r.stdout), "stdout %r" % r.stdout)
        resp = f.cgi({"validation_code": codes[1], "password": strong_password()},
                     env={"REMOTE_ADDR": "192.0.2.200"})
        expect_error(resp, 400, "invalid_validation_code")
        expect("0 open codes" in admin("list-codes", email).stdout, "codes left")
        expect_eq(f.check_password(email, old), 0, "old password changed")

    with t.claim("revoke-tokens revokes every live token of the user and only theirs"):
        other, _ = f.create_user()
        mine = [f.insert_token(email) for _ in range(2)]
        theirs = f.insert_token(other)
        r = admin("revoke-tokens", email)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect("2 tokens revoked" in r.stdout, "stdout %r" % r.stdout)
        expect(all(f.token_revoked_at(i) is not None for i in mine), "not revoked")
        expect(f.token_revoked_at(theirs) is None, "another user's token revoked")

    for cmd in ("list-codes", "revoke-codes", "revoke-tokens"):
        with t.claim("%s for an unknown user exits 1 saying so" % cmd):
            r = admin(cmd, "nobody-%s@example.test" % secrets.token_hex(3))
            expect_eq(r.returncode, 1, "exit status")
            expect("no user" in r.stderr, "stderr %r" % r.stderr)

    addr = "192.0.2.77"
    with t.claim("show-attempts shows the failures the responder counted for an "
                 "address, and when it is limited"):
        r = admin("show-attempts", addr)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect("failures 0 " in r.stdout, "stdout %r" % r.stdout)
        for _ in range(LIMIT):
            f.cgi({"validation_code": secrets.token_urlsafe(24),
                   "password": strong_password()}, env={"REMOTE_ADDR": addr})
        r = admin("show-attempts", addr)
        expect("client %s failures %d limit %d" % (addr, LIMIT, LIMIT) in r.stdout,
               "stdout %r" % r.stdout)
        expect("(limited)" in r.stdout, "stdout %r" % r.stdout)

    with t.claim("clear-attempts clears the counter: the address is served again"):
        code = f.issue_code(email)
        expect_error(f.cgi({"validation_code": code, "password": strong_password()},
                           env={"REMOTE_ADDR": addr}), 429, "too_many_requests")
        r = admin("clear-attempts", addr)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        # One row per responder process that counted it (attempt_failures).
        expect(re.search(r"[1-9][0-9]* counters? cleared", r.stdout), "stdout %r" % r.stdout)
        expect("failures 0 " in admin("show-attempts", addr).stdout, "not cleared")
        resp = f.cgi({"validation_code": code, "password": strong_password("New")},
                     env={"REMOTE_ADDR": addr})
        expect_eq(resp.status, 200, "status; %s" % resp.summary())

    with t.claim("show-attempts keys an IPv6 address by its /64, as the responder "
                 "counts it"):
        r = admin("show-attempts", "2001:db8:1:2:aaaa::1")
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect("client 2001:db8:1:2::/64 " in r.stdout, "stdout %r" % r.stdout)

    with t.claim("show-attempts with something that is no address exits 2 saying so"):
        r = admin("show-attempts", "not-an-address")
        expect_eq(r.returncode, 2, "exit status")
        expect("not an IPv4 or IPv6 address" in r.stderr, "stderr %r" % r.stderr)

    with t.claim("a command given the wrong number of arguments exits 2 naming its usage"):
        r = admin("revoke-tokens")
        expect_eq(r.returncode, 2, "exit status")
        expect("revoke-tokens EMAIL" in r.stderr, "stderr %r" % r.stderr)

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
