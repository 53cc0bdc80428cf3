#!/usr/bin/env python3
"""test_outage.py: the database going away under a running responder.

account-reset runs under FastCGI (spawn-fcgi) with a kept connection.  The
database is then stopped, killed (SIGKILL) and frozen (SIGSTOP) in turn:
each time a reset gets 503 temporarily_unavailable with Retry-After,
promptly; the responder stays up; requests that need no database are still
answered; and once the database is back, the next reset succeeds on the
same responder, while the code whose request got 503 is still unused and
the old password still valid (nothing half written).
"""

import sys
import threading
import time

from harness import (TAP, ClaimFailed, Fixture, expect, expect_eq, expect_error, expect_token,
                     scaled, strong_password)

CLIENT_ID = "outage-client"
SCOPE = "read write"
LIFETIME = 3600
RETRY_AFTER = 7
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 3
WRITE_TIMEOUT = 3
# Bounds: the configured timeouts plus a margin that scales with the build
# (valgrind, sanitizers: harness.scaled).
PROMPT = CONNECT_TIMEOUT + scaled(1.5)   # a stopped or killed server
FROZEN = CONNECT_TIMEOUT + 2 * READ_TIMEOUT + scaled(2.0)  # a server that answers nothing
GIVE_UP = scaled(10)                     # a request that hangs is killed after this


class Sender:
    """Sends FastCGI requests; once one went unanswered during an outage,
    the next ones of that outage fail at once (the worker is busy with
    the first) instead of each waiting GIVE_UP seconds."""

    def __init__(self, fc):
        self.fc = fc
        self.stuck = None

    def __call__(self, *args, timeout=GIVE_UP, **kw):
        if self.stuck:
            raise ClaimFailed("not sent: the responder has not answered since %s"
                              % self.stuck)
        try:
            return self.fc.request(*args, timeout=timeout, **kw)
        except ClaimFailed as e:
            if "no answer within" in str(e):
                self.stuck = "a request at %s" % time.strftime("%H:%M:%S")
            raise

    def outage_over(self):
        self.stuck = None


def payload(code, password=None):
    return {"validation_code": code, "password": password or strong_password()}


def expect_503(r, limit):
    expect_error(r, 503, "temporarily_unavailable")
    expect_eq(r.header("retry-after"), str(RETRY_AFTER), "Retry-After")
    expect(r.elapsed < limit, "answered after %.1f s, want < %.1f s" % (r.elapsed, limit))


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME, retry_after=RETRY_AFTER,
                                db_connect_timeout=CONNECT_TIMEOUT,
                                db_read_timeout=READ_TIMEOUT,
                                db_write_timeout=WRITE_TIMEOUT).setup())
    fc = t.setup(f.fastcgi)
    send = Sender(fc)
    pid = fc.workers()
    ok200 = lambda r: expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    with t.claim("before the outage a reset through FastCGI succeeds (the responder now "
                 "holds a database connection)"):
        _, _, code = f.user_and_code()
        ok200(send(payload(code)))

    # Codes issued before the database goes away, one per outage.
    u_stop = t.setup(f.user_and_code)
    u_kill = t.setup(f.user_and_code)
    u_freeze = t.setup(f.user_and_code)

    # -- a graceful stop
    t.setup(f.db.stop)
    with t.claim("database stopped: a reset gets 503 temporarily_unavailable with "
                 "Retry-After: %d within %.1f s" % (RETRY_AFTER, PROMPT)) as cl:
        r = send(payload(u_stop[2]))
        cl.note(r.summary())
        expect_503(r, PROMPT)

    with t.claim("database stopped: the responder is still running (same pid)"):
        expect(fc.alive(), "the responder exited: %r" % fc.stderr_text()[-500:])
        expect_eq(fc.workers(), pid, "pid")

    with t.claim("database stopped: the next request gets 503 again, as promptly"):
        expect_503(send(payload(u_stop[2])), PROMPT)

    with t.claim("database stopped: requests that need no database are still answered "
                 "(invalid_request, invalid_password, 405)"):
        expect_error(send(body=b"[]"), 400, "invalid_request")
        expect_error(send(payload(u_stop[2], "short")), 400, "invalid_password")
        expect_error(send(method="GET", content_type=None), 405, "method_not_allowed")

    with t.claim("database stopped: a CGI request gets 503 within %.1f s too" % PROMPT) as cl:
        r = f.cgi(payload(u_stop[2]), timeout=GIVE_UP)
        cl.note(r.summary())
        expect_503(r, PROMPT)

    t.setup(f.db.start)
    send.outage_over()
    with t.claim("database back: the code whose requests got 503 is unused and the old "
                 "password still valid"):
        expect(f.code_used_at(u_stop[2]) is None, "code marked used")
        expect_eq(f.check_password(u_stop[0], u_stop[1]), 0, "old password")

    with t.claim("database back: a reset with a fresh code succeeds on the same "
                 "responder, not restarted"):
        _, _, code = f.user_and_code()
        ok200(send(payload(code)))
        expect_eq(fc.workers(), pid, "pid")

    with t.claim("database back: the code issued before the outage now resets its "
                 "user's password"):
        new = strong_password()
        ok200(send(payload(u_stop[2], new)))
        expect_eq(f.check_password(u_stop[0], new), 0, "new password")

    # -- a crash
    t.setup(f.db.kill)
    with t.claim("database killed (SIGKILL): a reset gets 503 within %.1f s and the "
                 "responder stays up" % PROMPT) as cl:
        r = send(payload(u_kill[2]))
        cl.note(r.summary())
        expect_503(r, PROMPT)
        expect(fc.alive() and fc.workers() == pid, "the responder exited or changed")

    t.setup(f.db.start)
    send.outage_over()
    with t.claim("database recovered from the crash: the refused code is unused, the old "
                 "password valid, and the code then works on the same responder"):
        expect(f.code_used_at(u_kill[2]) is None, "code marked used")
        expect_eq(f.check_password(u_kill[0], u_kill[1]), 0, "old password")
        new = strong_password()
        ok200(send(payload(u_kill[2], new)))
        expect_eq(f.check_password(u_kill[0], new), 0, "new password")
        expect_eq(fc.workers(), pid, "pid")

    # -- a crash in the middle of the reset transaction: another session
    # holds a lock on one of the user's tokens, so the reset waits at the
    # step that revokes them, after it has written the password and the
    # codes inside its transaction; then the server is killed.
    u_mid = t.setup(f.user_and_code)
    mid_token = t.setup(f.insert_token, u_mid[0])
    holder = t.setup(f.db.hold_lock, "SELECT id FROM tokens WHERE id = %d FOR UPDATE"
                     % int(mid_token))
    result = {}

    def reset_in_background():
        try:
            result["r"] = fc.request(payload(u_mid[2]), timeout=GIVE_UP + 5)
        except BaseException as e:  # reported by the claim below
            result["r"] = e
    worker = threading.Thread(target=reset_in_background)
    worker.start()
    waiting = f.db.wait_for_lock_wait(5.0)
    t.setup(f.db.kill)
    worker.join()
    holder.kill()
    with t.claim("database killed while a reset waits inside its transaction: the answer "
                 "is 503, not 200") as cl:
        r = result.get("r")
        expect(not isinstance(r, BaseException), "request failed: %r" % (r,))
        cl.note(r.summary())
        expect(waiting, "the reset never waited for the lock (it finished first?)")
        expect_503(r, PROMPT)
    t.setup(f.db.start)
    send.outage_over()
    with t.claim("after recovery nothing of that reset is left: code unused, old password "
                 "valid, old token not revoked, no new token"):
        expect(f.code_used_at(u_mid[2]) is None, "code marked used")
        expect_eq(f.check_password(u_mid[0], u_mid[1]), 0, "old password")
        expect(f.token_revoked_at(mid_token) is None, "old token revoked")
        expect_eq(f.open_tokens(u_mid[0]), 1, "open tokens (the old one only)")
    with t.claim("...and the code then resets the password on the same responder"):
        ok200(send(payload(u_mid[2])))
        expect_eq(fc.workers(), pid, "pid")

    # -- a server that accepts and answers nothing
    t.setup(f.db.freeze)
    try:
        with t.claim("database frozen (SIGSTOP): a reset gets 503 within %.1f s (connect "
                     "timeout + read timeouts + 2 s) and the responder stays up" % FROZEN) as cl:
            r = send(payload(u_freeze[2]), timeout=FROZEN + 5)
            cl.note(r.summary())
            expect_503(r, FROZEN)
            expect(fc.alive(), "the responder exited")
    finally:
        f.db.thaw()
        send.outage_over()
    with t.claim("database thawed: the refused code is unused, the old password valid, "
                 "and the code then works"):
        expect(f.code_used_at(u_freeze[2]) is None, "code marked used")
        expect_eq(f.check_password(u_freeze[0], u_freeze[1]), 0, "old password")
        ok200(send(payload(u_freeze[2])))

    with t.claim("every 503 was logged with its status"):
        lines = [l for l in fc.log_lines() if b"503" in l]
        expect(len(lines) >= 4, "%d log lines mention 503" % len(lines))

    with t.claim("no password, code or token used here appears in any log"):
        text = fc.log_text() + f.cgi_log()
        leaked = f.leaks(text)
        expect(not leaked, "%d secret(s):\n%s" % (len(leaked), f.leak_report(text)))

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
