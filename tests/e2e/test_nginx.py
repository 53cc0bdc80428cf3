#!/usr/bin/env python3
"""test_nginx.py: account-reset as deployed behind nginx, over HTTP.

nginx runs nginx.conf.example as rendered by scripts/render-conf (a free
127.0.0.1 port, a private prefix, the socket below, limit_req raised to
1000r/s burst 200 so that the bursts of this file are not refused; a
second nginx keeps the example's own 10r/s burst 20 to show that limit).
Behind it, the program's own supervisor: account-reset --listen unix:SOCK
--workers 2, started as root with --user/--group www-data, so that the
workers serve as www-data (the option file and the MariaDB socket are made
readable for that user, as a deployment must).

Claims: the process model; a full reset; every documented error as nginx
delivers it (including what nginx itself answers: 413 and 429 as JSON);
16 concurrent requests with one code; a worker killed by SIGKILL under
load; a database outage; SIGHUP; no secret in any log; SIGTERM with a
request in flight, and nginx's JSON 503 once the responder is gone.
"""

import json
import os
import re
import secrets
import signal
import threading
import time

from harness import (Fixture, TAP, expect, expect_eq, expect_error, expect_token,
                     run_parallel, strong_password, wait_for)
from webservers import (WEB_USER, Nginx, as_root, descendants, standalone_responder,
                        uid_of)

CLIENT_ID = "nginx-e2e"
SCOPE = "read write"
LIFETIME = 1800
MAX_BODY = 8192
N_RACE = 16


def payload(code, password=None):
    return {"validation_code": code, "password": password or strong_password()}


def unknown_code():
    return secrets.token_urlsafe(24)


def padded(code, password, size):
    """A JSON body of exactly size bytes (an ignored "pad" member)."""
    base = json.dumps({"validation_code": code, "password": password, "pad": ""})
    body = json.dumps({"validation_code": code, "password": password,
                       "pad": "x" * (size - len(base))}).encode()
    assert len(body) == size
    return body


def tally(results):
    out = {}
    for r in results:
        if isinstance(r, BaseException):
            key = "exception %s" % type(r).__name__
        else:
            err = r.json.get("error") if isinstance(r.json, dict) else None
            key = "%s %s" % (r.status, err or "")
        out[key] = out.get(key, 0) + 1
    return out


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME, max_body_bytes=MAX_BODY,
                                db_read_timeout=10).setup())
    resp = t.setup(standalone_responder, f, workers=2)
    supervisor = resp.procs[0].pid
    ng = t.setup(lambda: Nginx(resp.socket).start())

    def post(p, **kw):
        return ng.post_json(p, fixture=f, **kw)

    # ---------------------------------------------------------------- process model
    with t.claim("account-reset --listen --workers 2 runs a supervisor and 2 workers%s"
                 % (" as %s (the supervisor stays root)" % WEB_USER if as_root() else "")):
        workers = resp.workers()
        expect_eq(len(workers), 2, "workers %r" % workers)
        if as_root():
            expect_eq(uid_of(supervisor), 0, "supervisor uid")
            want = __import__("pwd").getpwnam(WEB_USER).pw_uid
            expect_eq([uid_of(w) for w in workers], [want, want], "worker uids")

    # ---------------------------------------------------------------- a full reset
    email, old, code = f.user_and_code()
    new = strong_password("Nginx")
    r = post(payload(code, new))
    with t.claim("through nginx, a valid code and password get 200 with exactly the "
                 "spec's token object, Cache-Control: no-store and Pragma: no-cache"):
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    with t.claim("after that reset, check-password accepts the new password (0) and "
                 "refuses the old one (1)"):
        expect_eq(f.check_password(email, new), 0, "check-password new")
        expect_eq(f.check_password(email, old), 1, "check-password old")

    with t.claim("the same code again gets 400 invalid_validation_code"):
        expect_error(post(payload(code)), 400, "invalid_validation_code")

    # ---------------------------------------------------------------- every error
    email2, old2, code2 = f.user_and_code()
    with t.claim("a body that is not JSON gets 400 invalid_request"):
        expect_error(post(b"{not json"), 400, "invalid_request")

    with t.claim("a password as a number gets 400 invalid_request"):
        expect_error(post({"validation_code": code2, "password": 12345678}), 400,
                     "invalid_request")

    with t.claim("a weak password gets 400 invalid_password naming every failed rule"):
        expect_error(post(payload(code2, "abc")), 400, "invalid_password",
                     ["too_short", "too_few_character_classes"])

    with t.claim("an unknown code gets 400 invalid_validation_code"):
        expect_error(post(payload(unknown_code())), 400, "invalid_validation_code")

    with t.claim("GET gets the program's 405 with Allow: POST (nginx passes it on)"):
        expect_error(ng.request("GET"), 405, "method_not_allowed")

    with t.claim("PUT with a JSON body gets 405 with Allow: POST"):
        expect_error(ng.request("PUT", json.dumps(payload(code2)).encode(),
                                {"Content-Type": "application/json"}),
                     405, "method_not_allowed")

    with t.claim("a POST without Content-Length and without a body: nginx passes it on "
                 "(CONTENT_LENGTH empty) and the program answers 411 length_required"):
        rc, r, err = ng.curl("-X", "POST", "-H", "Content-Type: application/json")
        expect(rc == 0 and r is not None, "curl failed (%d): %s" % (rc, err))
        expect_error(r, 411, "length_required")

    with t.claim("text/plain gets 415 unsupported_media_type"):
        expect_error(post(payload(code2), content_type="text/plain"), 415,
                     "unsupported_media_type")

    with t.claim("a body of exactly client_max_body_size (%d bytes) reaches the program "
                 "(here: 400 invalid_validation_code for its unknown code)" % MAX_BODY):
        expect_error(post(padded(unknown_code(), "Valid-Passw0rd", MAX_BODY)), 400,
                     "invalid_validation_code")

    with t.claim("a body of %d bytes gets nginx's own 413, as the program's JSON "
                 "payload_too_large with its headers (error_page in the example)"
                 % (MAX_BODY + 1)):
        expect_error(post(padded(code2, "Valid-Passw0rd", MAX_BODY + 1)), 413,
                     "payload_too_large")

    with t.claim("a chunked body (no Content-Length from the client) is read whole by "
                 "nginx, passed with CONTENT_LENGTH, and the reset succeeds (200)"):
        pw = strong_password("Chunked")
        f.note_secret(pw)
        rc, r, err = ng.curl("-H", "Content-Type: application/json",
                             "-H", "Transfer-Encoding: chunked",
                             "--data-binary", json.dumps(payload(code2, pw)))
        expect(rc == 0 and r is not None, "curl failed (%d): %s" % (rc, err))
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email2, pw), 0, "check-password")

    with t.claim("a path other than the API's is answered 404 by nginx, never by the "
                 "program"):
        before = resp.log_text().count(b"request id=")
        r = ng.request("POST", b"{}", {"Content-Type": "application/json"},
                       path="/api/v2/account/reset/extra")
        expect_eq(r.status, 404, "status")
        expect_eq(resp.log_text().count(b"request id="), before, "program log lines")

    with t.claim("the program logs the request under nginx's $request_id "
                 "(fastcgi_param REQUEST_ID), the id nginx's access log shows"):
        # nginx writes its access line after the answer is out: wait for
        # this request's own line, not the previous request's.
        lines_before = len(ng.access_log().splitlines())
        post(payload(unknown_code()))
        expect(wait_for(lambda: len(ng.access_log().splitlines()) > lines_before, 30),
               "no access log line for the request")
        rid = re.search(r"rid=([0-9a-f]{32})\s*$", ng.access_log().splitlines()[-1])
        expect(rid is not None, "no rid in %r" % ng.access_log().splitlines()[-1:])
        line = ("request id=%s " % rid.group(1)).encode()
        # The program writes its log line just after the answer.
        expect(wait_for(lambda: line in resp.log_text(), 5),
               "no program log line with id %s" % rid.group(1))

    with t.claim("nginx passes the client's address (REMOTE_ADDR): the program counts "
                 "failed code attempts under 127.0.0.1"):
        rows = f.db.sql("SELECT client_key, SUM(failures) FROM attempt_counters "
                        "GROUP BY client_key")
        expect(rows and rows[0][0] == "127.0.0.1" and len(rows) == 1
               and int(rows[0][1]) > 0, "attempt_counters: %r" % rows)

    # ---------------------------------------------------------------- the race
    email3, old3, code3 = f.user_and_code()
    passwords = [strong_password("Race%d" % i) for i in range(N_RACE)]
    results = run_parallel([lambda pw=pw: post(payload(code3, pw)) for pw in passwords])
    ok = [i for i, r in enumerate(results)
          if not isinstance(r, BaseException) and r.status == 200]
    with t.claim("%d concurrent requests with one code through nginx: exactly one 200 "
                 "and %d invalid_validation_code" % (N_RACE, N_RACE - 1)) as cl:
        cl.note(tally(results))
        expect_eq(len(ok), 1, "200 answers")
        expect_token(results[ok[0]], CLIENT_ID, SCOPE, LIFETIME)
        for i, r in enumerate(results):
            if i != ok[0]:
                expect_error(r, 400, "invalid_validation_code")
        expect_eq(f.check_password(email3, passwords[ok[0]]), 0, "winner's password")

    # ---------------------------------------------------------------- limit_req
    with t.claim("with the example's own limit (10r/s, burst 20, nodelay) 40 requests "
                 "at once from one address: 21 or a few more reach the program, the "
                 "rest get 429 too_many_requests as JSON with Retry-After"):
        strict = Nginx(resp.socket, rate=None, burst=None).start()
        try:
            start = time.monotonic()
            results = run_parallel([lambda: strict.request("GET")] * 40)
            elapsed = time.monotonic() - start
        finally:
            strict.stop()
        counts = tally(results)
        passed = counts.get("405 method_not_allowed", 0)
        refused = [r for r in results if not isinstance(r, BaseException)
                   and r.status == 429]
        expect_eq(passed + len(refused), 40, "405 + 429 answers (%r)" % counts)
        expect(21 <= passed <= 21 + int(10 * elapsed) + 1,
               "%d passed in %.2f s (%r)" % (passed, elapsed, counts))
        for r in refused:
            expect_error(r, 429, "too_many_requests")
            expect(r.header("retry-after") is not None, "no Retry-After on 429")

    # ---------------------------------------------------------------- database outage
    email4, old4, code4 = f.user_and_code()
    f.db.stop()
    try:
        with t.claim("with MariaDB stopped, a valid request gets 503 "
                     "temporarily_unavailable with Retry-After, and both workers live"):
            expect_error(post(payload(code4)), 503, "temporarily_unavailable")
            expect_error(post(payload(code4)), 503, "temporarily_unavailable")
            expect_eq(len(resp.workers()), 2, "workers")
    finally:
        f.db.start()
    with t.claim("after MariaDB is back, the next requests succeed on every worker: "
                 "4 unknown codes get 400, then the reset gets 200"):
        for _ in range(4):
            expect_error(post(payload(unknown_code())), 400, "invalid_validation_code")
        pw = strong_password("Back")
        expect_token(post(payload(code4, pw)), CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email4, pw), 0, "check-password")

    # ---------------------------------------------------------------- SIGKILL a worker
    users = [f.user_and_code() for _ in range(8)]
    victim = resp.workers()[0]
    done = []
    lock = threading.Lock()
    kill_at = threading.Event()

    def load(i):
        """10 requests: a full reset for one of the 8 users, the rest unknown."""
        out = []
        for j in range(10):
            k = i * 2 + j
            if j < 2:
                c = users[k][2]
                p = payload(c)
                want = 200
            else:
                p, want = payload(unknown_code()), 400
            try:
                out.append((want, post(p)))
            except Exception as e:  # counted as a failure
                out.append((want, e))
            with lock:
                done.append(1)
                if len(done) == 8:
                    kill_at.set()
        return out

    def killer():
        kill_at.wait(30)
        os.kill(victim, signal.SIGKILL)
        return victim

    results = run_parallel([lambda i=i: load(i) for i in range(4)] + [killer])
    answers = [a for part in results[:4] for a in (part if isinstance(part, list) else [])]
    failed = [(w, r) for w, r in answers
              if isinstance(r, BaseException) or r.status != w]
    with t.claim("a worker killed with SIGKILL during 40 requests from 4 clients: every "
                 "request gets its answer except at most the one it held, which gets "
                 "nginx's JSON 503") as cl:
        cl.note(tally([r for _, r in answers]))
        expect_eq(len(answers), 40, "answers")
        expect(len(failed) <= 1, "%d failed: %r" % (len(failed), failed[:3]))
        for w, r in failed:
            expect_error(r, 503, "temporarily_unavailable")
        for w, r in answers:
            if w == 200 and r is not None and not isinstance(r, BaseException) \
                    and r.status == 200:
                expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    with t.claim("the supervisor replaces the killed worker: 2 workers again, a new pid, "
                 "and the log says so"):
        expect(wait_for(lambda: len(resp.workers()) == 2 and victim not in resp.workers(),
                        5), "workers %r (killed %d)" % (resp.workers(), victim))
        expect(("worker %d killed by signal 9" % victim).encode() in resp.log_text(),
               "no log line for the killed worker")
        expect_error(post(payload(unknown_code())), 400, "invalid_validation_code")

    # ---------------------------------------------------------------- SIGHUP
    before = set(resp.workers())
    stop_load = threading.Event()
    hup_answers = []

    def steady_load():
        while not stop_load.is_set():
            try:
                hup_answers.append(post(payload(unknown_code())))
            except Exception as e:
                hup_answers.append(e)
            time.sleep(0.005)  # well under the rendered 1000r/s limit

    th = threading.Thread(target=steady_load)
    th.start()
    try:
        time.sleep(0.2)
        f.write_config(client_id="reloaded-client", scope="read")
        os.kill(supervisor, signal.SIGHUP)
        replaced = wait_for(lambda: len(resp.workers()) == 2
                            and not (set(resp.workers()) & before), 10)
        time.sleep(0.2)
    finally:
        stop_load.set()
        th.join()
    with t.claim("SIGHUP replaces both workers while requests keep coming: none of "
                 "%d requests during the reload fails" % len(hup_answers)) as cl:
        cl.note(tally(hup_answers))
        expect(replaced, "workers %r, before %r" % (resp.workers(), before))
        expect(len(hup_answers) >= 5, "only %d requests during the reload"
               % len(hup_answers))
        for r in hup_answers:
            expect_error(r, 400, "invalid_validation_code")

    with t.claim("after SIGHUP the re-read config is in force: the next 200 carries the "
                 "new client_id and scope"):
        e, o, c = f.user_and_code()
        expect_token(post(payload(c)), "reloaded-client", "read", LIFETIME)
        expect(b"configuration reloaded" in resp.log_text(), "no reload log line")

    # ---------------------------------------------------------------- logs
    with t.claim("no password, code or token in the program's log or nginx's logs"):
        text = resp.log_text() + ng.logs().encode()
        expect(not f.leaks(text), f.leak_report(text))

    # ---------------------------------------------------------------- SIGTERM
    e, o, c = f.user_and_code()
    code_id = f.code_row(c)["id"]
    holder = f.db.hold_lock("SELECT id FROM reset_codes WHERE id = %s FOR UPDATE" % code_id)
    in_flight = []
    th = threading.Thread(target=lambda: in_flight.append(post(payload(c))))
    th.start()
    waiting = f.db.wait_for_lock_wait(10)
    os.kill(supervisor, signal.SIGTERM)
    time.sleep(1.5)  # past the supervisor's 1 s tick, so it signals again
    holder.kill()
    holder.wait()
    th.join(30)
    with t.claim("SIGTERM while a reset waits on a lock: that request still gets its "
                 "200, then the supervisor exits 0") as cl:
        expect(waiting, "the request never waited on the lock")
        expect(in_flight, "no answer")
        cl.note(in_flight[0].summary())
        expect_token(in_flight[0], "reloaded-client", "read", LIFETIME)
        status = resp.procs[0].wait(40)
        expect_eq(status, 0, "supervisor exit status")
        expect_eq(descendants(supervisor), [], "workers left")

    with t.claim("after SIGTERM the socket file is gone, and nginx answers its JSON 503 "
                 "temporarily_unavailable with Retry-After"):
        expect(not os.path.exists(resp.socket), "socket %s still there" % resp.socket)
        expect_error(post(payload(unknown_code())), 503, "temporarily_unavailable")

    with t.claim("nginx stops on SIGTERM, leaving no process behind"):
        master = ng.proc.pid
        kids = ng.workers()
        expect(kids, "no nginx workers seen")
        expect_eq(ng.stop(), 0, "nginx exit status")
        expect(all(uid_of(p) is None for p in kids + [master]), "processes left")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
