#!/usr/bin/env python3
"""test_db_faults.py: database faults under load.  Nothing lost, nothing
half done.

1. A crash in the middle of a burst.  Forty users, each with its own code
   and an old token, reset at once through the program's own pre-forked
   workers (account-reset --listen --workers 4) with PBKDF2 at 200,000
   iterations, so that requests are hashing, queued and inside their
   transactions when MariaDB is SIGKILLed, after a random number of the
   answers have come back.  One of the forty (the "straddler") is made to
   wait inside its transaction, after it has written the new password and
   ended its codes, by a session holding a lock on its old token: the kill
   always finds at least one transaction half done.  MariaDB is started
   again on the same datadir (crash recovery), and then, for every request
   that got 200, the new password works (check-password), the code is
   used, the token row of the answered access token exists and the old
   token is revoked; for every other request, the old password still
   works, the code is unused, the old token is live and no token was
   written.  Every answer was 200 or 503 (never 500, never none), the 503s
   came promptly, and the same workers serve a fresh reset afterwards.

   One case is allowed and reported, never counted as half done: a
   request whose COMMIT was sent when the connection broke is answered
   503 although the commit may have taken effect (README section 10).
   Its log line says so, by its request id; its state must then be all of
   the reset, not some of it.

2. A hung database (SIGSTOP).  With db_read_timeout = db_write_timeout =
   db_connect_timeout = 2, each request gets 503 within one read
   time-out on the kept connection (three with Oracle's libmysqlclient,
   which tries a timed-out read three times) plus one connect time-out for
   the reconnect, plus 2 s: measured 4.0 s with MariaDB Connector/C.  The
   two workers stay the same two processes, and after SIGCONT everything
   works again and the codes of the refused requests are still usable.

3. Lock waits (1205) and deadlocks (1213) rerun.  With db_read_timeout = 2
   the session's innodb_lock_wait_timeout is 1 s.  A session holding the
   user's row until the first attempt has timed out: the rerun succeeds
   (200) and the log says "retrying".  A real deadlock (the other session
   takes the code row while the reset waits for the user row, and is the
   heavier transaction, so InnoDB rolls the reset back): the rerun
   succeeds.  The user's row held longer than all db_retries reruns: 503
   with Retry-After after db_retries "retrying" lines, and nothing
   written.
"""

import random
import secrets
import subprocess
import sys
import threading
import time

from harness import (Fixture, TAP, expect, expect_eq, expect_error, expect_token,
                     run_parallel, sha256_hex, strong_password, wait_for)

CLIENT_ID = "faults-client"
SCOPE = "read write"
LIFETIME = 3600
RETRY_AFTER = 9

# -- 1. the crash
N_USERS = 40
WORKERS = 4
ITERATIONS = 200000
CONNECT_TIMEOUT = 2
PROMPT = CONNECT_TIMEOUT + 2.0    # a 503 after the kill comes within this
BURST_READ_TIMEOUT = 20           # lock wait 10 s: the straddler waits until the kill

# -- 2. the hang
HANG_TIMEOUT = 2                  # db_connect/read/write_timeout
# A request on a kept connection waits one read time-out, then the
# reconnect waits one connect time-out (measured: 4.0 s with 2 s each,
# MariaDB Connector/C).  Oracle's libmysqlclient tries a timed-out read
# three times ("the total effective timeout value is three times the
# option value"): hang_bound() allows for it when the program uses it.

# -- 3. reruns
RETRIES = 3
LOCK_WAIT = 1                     # db_read_timeout 2 / 2
RERUN_BOUND = (RETRIES + 1) * (LOCK_WAIT + 1.0) + 2.0


def read_tries(program):
    """How often the client library the program is linked with tries a
    timed-out read: 1 for MariaDB Connector/C, 3 for Oracle's
    libmysqlclient (and when ldd cannot tell)."""
    try:
        out = subprocess.run(["ldd", program], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = b""
    return 1 if b"libmariadb" in out else 3


def hang_bound(program):
    """The longest a request may wait on a frozen database: the read
    time-outs, one connect time-out, 2 s of slack."""
    return read_tries(program) * HANG_TIMEOUT + HANG_TIMEOUT + 2.0


def payload(code, password):
    return {"validation_code": code, "password": password}


def status_of(r):
    if isinstance(r, BaseException):
        return "exception %s" % type(r).__name__
    err = r.json.get("error") if isinstance(r.json, dict) else None
    return "%s %s" % (r.status, err or "")


def tally(results):
    out = {}
    for r in results:
        k = status_of(r)
        out[k] = out.get(k, 0) + 1
    return ", ".join("%d x %s" % (n, k) for k, n in sorted(out.items()))


class Users:
    """Users made cheaply (the admin CLI hashes their first password with a
    config of 1000 iterations), each with one code and one old token."""

    def __init__(self, f):
        self.f = f
        self.cheap = f.write_config(name="cheap-admin.conf", pbkdf2_iterations=1000)

    def make(self, n, tag):
        f = self.f
        out = []
        for i in range(n):
            email = f.new_email(tag)
            old = strong_password("Old")
            f.note_secret(old)
            r = f.admin("create-user", email, input=old + "\n", config=self.cheap)
            if r.returncode != 0:
                raise RuntimeError("create-user: %s" % r.stderr)
            code = f.issue_code(email)
            out.append({"email": email, "old": old, "code": code,
                        "new": strong_password("New%d" % i), "id": f.user_id(email)})
        # One live token each, as a login would have left (digests only).
        rows = []
        for u in out:
            u["old_access"] = secrets.token_urlsafe(32)
            rows.append("(%s, '%s', '%s', 'old-client', 'read', UTC_TIMESTAMP(6), "
                        "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6) + "
                        "INTERVAL 1 DAY)" % (u["id"], sha256_hex(u["old_access"]),
                                             sha256_hex(secrets.token_urlsafe(32))))
        f.db.sql("INSERT INTO tokens (user_id, access_sha256, refresh_sha256, client_id, "
                 "scope, created_at, access_expires_at, refresh_expires_at) VALUES "
                 + ", ".join(rows))
        for u in out:
            f.note_secret(u["new"])
            u["old_token_id"] = f.db.sql_value(
                "SELECT id FROM tokens WHERE access_sha256 = '%s'"
                % sha256_hex(u["old_access"]))
        return out


def tokens_of(f, user_id):
    """(token rows of the user, of which revoked)."""
    rows = f.db.sql("SELECT id, revoked_at FROM tokens WHERE user_id = %d" % int(user_id))
    return len(rows), sum(1 for r in rows if r[1] is not None)


def state_of(f, u):
    """What the database holds of user u's reset: each part true or false."""
    n, revoked = tokens_of(f, u["id"])
    return {
        "new_password": f.check_password(u["email"], u["new"]) == 0,
        "old_password": f.check_password(u["email"], u["old"]) == 0,
        "code_used": f.code_used_at(u["code"]) is not None,
        "old_token_revoked": f.token_revoked_at(u["old_token_id"]) is not None,
        "tokens": n,
    }


def nothing_written(s):
    return (s["old_password"] and not s["new_password"] and not s["code_used"]
            and not s["old_token_revoked"] and s["tokens"] == 1)


def all_written(s):
    return (s["new_password"] and not s["old_password"] and s["code_used"]
            and s["old_token_revoked"] and s["tokens"] == 2)


def log_lines_of(fc, rid):
    key = ("request id=%s " % rid).encode()
    return [l.decode("utf-8", "replace") for l in fc.log_lines() if key in l]


# ---------------------------------------------------------------- 1. the crash

def crash_in_burst(t, f, users_maker):
    fc = t.setup(f.fastcgi, children=WORKERS, mode="listen")
    t.setup(wait_for, lambda: len(fc.workers()) == WORKERS, 5)
    workers = sorted(fc.workers())
    users = t.setup(users_maker.make, N_USERS, "burst")
    spare = t.setup(users_maker.make, 1, "spare")[0]
    straddler, rest = users[0], users[1:]   # the lowest user id: see below

    # The straddler's transaction waits for its old token's row, locked by
    # another session, at the step that revokes tokens: by then it has
    # locked its code, written the new password and ended its codes.  (It
    # is the first user, so the index gaps it locks lie before every other
    # user's rows and hold none of them up.)
    holder = t.setup(f.db.hold_lock, "SELECT id FROM tokens WHERE id = %d FOR UPDATE"
                     % int(straddler["old_token_id"]))
    results = [None] * N_USERS
    answered_at = [None] * N_USERS
    done = threading.Semaphore(0)

    def send(i, u):
        try:
            results[i] = fc.request(payload(u["code"], u["new"]), timeout=60,
                                    env={"HTTP_X_REQUEST_ID": "burst-%02d" % i})
        except BaseException as e:  # judged by the claims
            results[i] = e
        answered_at[i] = time.monotonic()
        done.release()

    first = threading.Thread(target=send, args=(0, straddler))
    first.start()
    straddler_waits = f.db.wait_for_lock_wait(10.0)

    threads = [threading.Thread(target=send, args=(i + 1, u)) for i, u in enumerate(rest)]
    for th in threads:
        th.start()
    # Kill after a random number of the burst's answers, plus a random
    # fraction of one request's hashing time.
    k = random.randint(N_USERS // 5, N_USERS // 2)
    for _ in range(k):
        done.acquire(timeout=60)
    time.sleep(random.uniform(0.0, 0.08))
    f.db.kill()
    killed_at = time.monotonic()
    for th in threads + [first]:
        th.join(90)
    holder.kill()
    t.diag("crash: killed after %d answers; %s" % (k, tally(results)))

    with t.claim("burst of %d resets through --listen --workers %d: MariaDB was killed "
                 "mid-burst (some answers 200, some 503) with the straddler's "
                 "transaction open" % (N_USERS, WORKERS)):
        expect(straddler_waits, "the straddler never waited inside its transaction")
        statuses = [getattr(r, "status", None) for r in results]
        expect(200 in statuses and 503 in statuses, "answers: %s" % tally(results))

    with t.claim("every request of the burst was answered, with 200 or 503 only (no 500, "
                 "no hang)"):
        bad = ["burst-%02d: %s" % (i, r.summary() if hasattr(r, "summary") else repr(r))
               for i, r in enumerate(results)
               if isinstance(r, BaseException) or r.status not in (200, 503)]
        expect(not bad, "\n".join(bad))

    with t.claim("each 503 is temporarily_unavailable with Retry-After: %d, and those "
                 "answered after the kill came within %.0f s of it" % (RETRY_AFTER, PROMPT)):
        slow = []
        for i, r in enumerate(results):
            if isinstance(r, BaseException) or r.status != 503:
                continue
            expect_error(r, 503, "temporarily_unavailable")
            expect_eq(r.header("retry-after"), str(RETRY_AFTER), "Retry-After")
            late = answered_at[i] - killed_at
            if late > PROMPT:
                slow.append("burst-%02d: %.1f s after the kill" % (i, late))
        expect(not slow, "\n".join(slow))

    # Still down: a request now is refused at once, and the responder lives.
    with t.claim("while the database is down a reset gets 503 within %.0f s and every "
                 "worker is the one it was" % PROMPT) as cl:
        r = fc.request(payload(spare["code"], spare["new"]), timeout=30,
                       env={"HTTP_X_REQUEST_ID": "down-spare"})
        cl.note(r.summary())
        expect_error(r, 503, "temporarily_unavailable")
        expect(r.elapsed < PROMPT, "answered after %.1f s" % r.elapsed)
        expect(fc.alive(), "the supervisor exited")
        expect_eq(sorted(fc.workers()), workers, "worker pids")

    t.setup(f.db.start)   # crash recovery on the same datadir

    states = t.setup(lambda: run_parallel([lambda u=u: state_of(f, u) for u in users],
                                          start_together=False))
    ok_ids = [i for i, r in enumerate(results)
              if not isinstance(r, BaseException) and r.status == 200]
    other_ids = [i for i in range(N_USERS) if i not in ok_ids]

    with t.claim("after recovery, for each of the %d requests that got 200: the new "
                 "password works and the old does not, the code is used, the old token "
                 "revoked" % len(ok_ids)):
        wrong = ["burst-%02d: %r" % (i, states[i]) for i in ok_ids
                 if isinstance(states[i], BaseException) or not all_written(states[i])]
        expect(not wrong, "\n".join(wrong))

    with t.claim("...and the token row of each answered access token exists: the "
                 "user's, live, with the answered refresh token's digest"):
        wrong = []
        for i in ok_ids:
            tok = results[i].json["token"]
            row = f.token_row(tok["access_token"])
            if (row is None or row["user_id"] != users[i]["id"] or row["revoked_at"]
                    or row["refresh_sha256"] != sha256_hex(tok["refresh_token"])):
                wrong.append("burst-%02d: %r" % (i, row))
        expect(not wrong, "\n".join(wrong))

    in_doubt = []
    with t.claim("for each of the %d requests that did not get 200: the old password "
                 "still works, the code is unused, the old token live, no token written "
                 "(or, for a COMMIT cut off by the kill, all of the reset: never part)"
                 % len(other_ids)) as cl:
        wrong = []
        for i in other_ids:
            s = states[i]
            if isinstance(s, BaseException):
                wrong.append("burst-%02d: %r" % (i, s))
            elif nothing_written(s):
                continue
            elif all_written(s) and any("COMMIT" in l for l in
                                        log_lines_of(fc, "burst-%02d" % i)):
                in_doubt.append(i)
            else:
                wrong.append("burst-%02d (%s): %r; log %r" % (
                    i, status_of(results[i]), s, log_lines_of(fc, "burst-%02d" % i)))
        expect(not wrong, "\n".join(wrong))
    if in_doubt:
        t.diag("in-doubt commits (503 answered, reset committed): %r" % in_doubt)

    with t.claim("the straddler, killed inside its transaction after writing, got 503 "
                 "and nothing of its reset is left"):
        expect_eq(status_of(results[0]), "503 temporarily_unavailable", "answer")
        expect(nothing_written(states[0]), "state %r" % (states[0],))

    with t.claim("the spare user refused while the database was down: nothing written"):
        expect(nothing_written(state_of(f, spare)), "state %r" % (state_of(f, spare),))

    with t.claim("the database back, the same workers (not restarted) serve a fresh "
                 "reset: 200, and the straddler's code now resets its password"):
        _, _, code = f.user_and_code()
        expect_token(fc.request(payload(code, strong_password()), timeout=30),
                     CLIENT_ID, SCOPE, LIFETIME)
        expect_token(fc.request(payload(straddler["code"], straddler["new"]), timeout=30),
                     CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(straddler["email"], straddler["new"]), 0, "new password")
        expect_eq(sorted(fc.workers()), workers, "worker pids")

    with t.claim("every refused request of the burst can now be retried with its code: "
                 "all 200"):
        retry = [i for i in other_ids if i != 0 and i not in in_doubt]
        again = run_parallel([lambda u=users[i]: fc.request(payload(u["code"], u["new"]),
                                                            timeout=60) for i in retry])
        bad = [i for i, r in zip(retry, again)
               if isinstance(r, BaseException) or r.status != 200]
        expect(not bad, "not 200: %r (%s)" % (bad, tally(again)))

    with t.claim("the supervisor logged no worker death during the crash"):
        dead = [l for l in fc.log_lines() if b"killed by signal" in l or b"exited with" in l]
        expect(not dead, repr(dead[:3]))
    fc.stop()
    return fc


# ---------------------------------------------------------------- 2. the hang

def hung_database(t, f, users_maker):
    conf = f.write_config(name="hang.conf", pbkdf2_iterations=1000,
                          db_connect_timeout=HANG_TIMEOUT, db_read_timeout=HANG_TIMEOUT,
                          db_write_timeout=HANG_TIMEOUT)
    fc = t.setup(f.fastcgi, children=2, mode="listen", config=conf)
    t.setup(wait_for, lambda: len(fc.workers()) == 2, 5)
    users = t.setup(users_maker.make, 6, "hang")
    # Both workers hold a connection (each connects at start); use them.
    for u in users[:2]:
        f.note_secret(u["new"])
    workers = sorted(fc.workers())
    tries = read_tries(f.responder)
    bound = hang_bound(f.responder)
    with t.claim("before the hang, the responder answers (unknown code: 400)"):
        expect_error(fc.request(payload(secrets.token_urlsafe(24), "Valid-Passw0rd")),
                     400, "invalid_validation_code")

    f.db.freeze()
    try:
        first = run_parallel([lambda u=u: fc.request(payload(u["code"], u["new"]),
                                                     timeout=bound + 10)
                              for u in users[:2]])
        second = run_parallel([lambda u=u: fc.request(payload(u["code"], u["new"]),
                                                      timeout=2 * bound + 10)
                               for u in users[2:]])
        alive = fc.alive()
        during = sorted(fc.workers())
    finally:
        f.db.thaw()
    times = ["%.1f" % r.elapsed for r in first + second if not isinstance(r, BaseException)]
    t.diag("hang: answer times %s s (time-outs %d s, %d read tries)"
           % (", ".join(times), HANG_TIMEOUT, tries))

    with t.claim("database frozen (SIGSTOP): two requests on the workers' kept "
                 "connections each get 503 within %.0f s (read time-out x %d, connect "
                 "time-out, 2 s)" % (bound, tries)):
        for r in first:
            expect(not isinstance(r, BaseException), "request failed: %r" % (r,))
            expect_error(r, 503, "temporarily_unavailable")
            expect(r.elapsed < bound, "answered after %.1f s" % r.elapsed)

    with t.claim("four more, queued behind two workers, each get 503, the last within "
                 "two bounds (%.0f s): a worker is held at most one bound per request"
                 % (2 * bound)):
        for r in second:
            expect(not isinstance(r, BaseException), "request failed: %r" % (r,))
            expect_error(r, 503, "temporarily_unavailable")
            expect(r.elapsed < 2 * bound, "answered after %.1f s" % r.elapsed)

    with t.claim("the workers did not pile up: the same two processes throughout"):
        expect(alive, "the supervisor exited")
        expect_eq(during, workers, "workers during the hang")
        expect_eq(sorted(fc.workers()), workers, "workers after")

    with t.claim("after SIGCONT every refused code is unused and then resets its "
                 "user's password on the same workers"):
        for u in users:
            s = state_of(f, u)
            expect(nothing_written(s), "%s: %r" % (u["email"], s))
        again = run_parallel([lambda u=u: fc.request(payload(u["code"], u["new"]),
                                                     timeout=30) for u in users])
        bad = [status_of(r) for r in again if isinstance(r, BaseException) or r.status != 200]
        expect(not bad, "not 200: %r" % bad)
        expect_eq(sorted(fc.workers()), workers, "workers")
    fc.stop()
    return fc


# ---------------------------------------------------------------- 3. reruns

def background(fc, p, rid, timeout):
    box = {}

    def run():
        try:
            box["r"] = fc.request(p, timeout=timeout, env={"HTTP_X_REQUEST_ID": rid})
        except BaseException as e:  # judged by the claim
            box["r"] = e
    th = threading.Thread(target=run)
    th.start()
    return th, box


def retry_lines(fc, since, errno):
    text = fc.stderr_text()[since:]
    return [l for l in text.splitlines()
            if b"reset transaction" in l and b"retrying" in l and (b" %d " % errno) in l]


def reruns(t, f, users_maker):
    conf = f.write_config(name="rerun.conf", pbkdf2_iterations=1000,
                          db_read_timeout=2 * LOCK_WAIT, db_write_timeout=5,
                          db_retries=RETRIES)
    fc = t.setup(f.fastcgi, config=conf)   # one responder: its log is this file's
    users = t.setup(users_maker.make, 3, "rerun")
    t.setup(f.db.sql, "CREATE TABLE ballast (id INT PRIMARY KEY) ENGINE=InnoDB")

    # -- a lock wait timeout, then a rerun that succeeds
    u = users[0]
    since = len(fc.stderr_text())
    holder = t.setup(f.db.hold_lock, "SELECT id FROM users WHERE id = %d FOR UPDATE"
                     % int(u["id"]))
    th, box = background(fc, payload(u["code"], u["new"]), "rerun-wait", 30)
    seen = wait_for(lambda: retry_lines(fc, since, 1205), LOCK_WAIT + 5)
    holder.kill()
    th.join(35)
    with t.claim("the user's row locked by another session past innodb_lock_wait_timeout "
                 "(%d s): the log says 1205 ... retrying, and the rerun, once the lock is "
                 "gone, answers 200" % LOCK_WAIT) as cl:
        r = box.get("r")
        expect(seen, "no 'retrying' line for 1205 within %d s: %r"
               % (LOCK_WAIT + 5, fc.stderr_text()[since:][-600:]))
        expect(not isinstance(r, BaseException), "request failed: %r" % (r,))
        cl.note(r.summary())
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect(all_written(state_of(f, u)), "state %r" % (state_of(f, u),))
        expect(f.token_row(r.json["token"]["access_token"]) is not None, "no token row")

    # -- a deadlock: the reset holds the code row and waits for the user's
    # row; the other session, which holds the user's row and has written
    # 2000 rows (so InnoDB rolls back the lighter reset), asks for the code
    # row.
    u = users[1]
    since = len(fc.stderr_text())
    code_id = f.code_row(u["code"])["id"]
    holder = t.setup(f.db.hold_lock, "INSERT INTO ballast SELECT seq FROM seq_1_to_2000; "
                     "SELECT id FROM users WHERE id = %d FOR UPDATE" % int(u["id"]))
    th, box = background(fc, payload(u["code"], u["new"]), "rerun-deadlock", 30)
    waiting = f.db.wait_for_lock_wait(5.0)
    holder.stdin.write(("SELECT id FROM reset_codes WHERE id = %d FOR UPDATE;\n"
                        % int(code_id)).encode())
    holder.stdin.flush()
    seen = wait_for(lambda: retry_lines(fc, since, 1213), 5)
    holder.kill()
    th.join(35)
    with t.claim("a deadlock (1213) with another session: the log says 1213 ... "
                 "retrying, and the rerun answers 200 with the reset whole") as cl:
        r = box.get("r")
        expect(waiting, "the reset never waited for the user's row")
        expect(seen, "no 'retrying' line for 1213: %r" % fc.stderr_text()[since:][-600:])
        expect(not isinstance(r, BaseException), "request failed: %r" % (r,))
        cl.note(r.summary())
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect(all_written(state_of(f, u)), "state %r" % (state_of(f, u),))
    f.db.sql("DROP TABLE ballast")

    # -- a lock held longer than every rerun
    u = users[2]
    since = len(fc.stderr_text())
    record = f.password_record(u["email"])
    holder = t.setup(f.db.hold_lock, "SELECT id FROM users WHERE id = %d FOR UPDATE"
                     % int(u["id"]))
    try:
        r = fc.request(payload(u["code"], u["new"]), timeout=RERUN_BOUND + 10,
                       env={"HTTP_X_REQUEST_ID": "rerun-exhausted"})
    finally:
        holder.kill()
    with t.claim("the user's row locked longer than all %d reruns: 503 "
                 "temporarily_unavailable with Retry-After, within %.0f s, after %d "
                 "'retrying' lines" % (RETRIES, RERUN_BOUND, RETRIES)) as cl:
        cl.note(r.summary())
        expect_error(r, 503, "temporarily_unavailable")
        expect(r.elapsed < RERUN_BOUND, "answered after %.1f s" % r.elapsed)
        expect(r.elapsed >= (RETRIES + 1) * LOCK_WAIT - 0.2,
               "answered after %.1f s: fewer than %d lock waits" % (r.elapsed, RETRIES + 1))
        expect_eq(len(retry_lines(fc, since, 1205)), RETRIES, "'retrying' lines")
        expect(log_lines_of(fc, "rerun-exhausted"), "no log line with the request id")
    with t.claim("...and nothing of it was written: same password record, code unused, "
                 "old token live, no new token"):
        expect_eq(f.password_record(u["email"]), record, "password record")
        expect(nothing_written(state_of(f, u)), "state %r" % (state_of(f, u),))
    with t.claim("...and once the lock is gone the same code resets the password (200)"):
        expect_token(fc.request(payload(u["code"], u["new"]), timeout=30),
                     CLIENT_ID, SCOPE, LIFETIME)
    fc.stop()
    return fc


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=ITERATIONS, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME, retry_after=RETRY_AFTER,
                                db_connect_timeout=CONNECT_TIMEOUT,
                                db_read_timeout=BURST_READ_TIMEOUT,
                                db_write_timeout=BURST_READ_TIMEOUT).setup())
    users_maker = t.setup(Users, f)
    responders = [crash_in_burst(t, f, users_maker),
                  hung_database(t, f, users_maker),
                  reruns(t, f, users_maker)]

    with t.claim("no password, code or token used here appears in any log (the "
                 "responders', the admin CLI's, MariaDB's)"):
        text = b"".join(r.log_text() for r in responders)
        with f._lock:
            text += "".join(f.admin_stderr).encode()
        try:
            with open(f.db.error_log, "rb") as fh:
                text += fh.read()
        except OSError:
            pass
        leaked = f.leaks(text)
        expect(not leaked, "%d secret(s):\n%s" % (len(leaked), f.leak_report(text)))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
