#!/usr/bin/env python3
"""test_metrics.py: --metrics, the supervisor's Prometheus endpoint,
checked against the traffic this test sends through nginx.

account-reset --listen unix:SOCK --workers 2 --metrics 127.0.0.1:PORT
behind nginx (nginx.conf.example).  The test sends known requests (resets
that succeed, unknown codes, refusals by the attempt limit, GETs, health
checks, a path no route names), kills a worker, stops the database, and
after each step scrapes GET /metrics and compares every number with what
it sent: requests by endpoint and status, the duration histogram (its
count and +Inf bucket equal the requests, its buckets never decrease),
PBKDF2 hashes, attempt-limit refusals, database errors and reconnects,
workers alive and restarts.  The endpoint answers GET /metrics only,
bounds what it reads, and keeps serving past a silent or oversized client.
"""

import json
import os
import secrets
import signal
import socket
import time

from harness import (SANITIZER_VARIABLES, FastCGIResponder, Fixture, TAP, expect, expect_eq,
                     expect_error, expect_token, strong_password, wait_for)
import prometheus
from prometheus import parse, scrape
from webservers import Nginx, free_port, share_with_web_user, web_user_args, WEB_USER

LIMIT = 4


def proc_status(pid):
    """Uid (real, effective), Seccomp and NoNewPrivs of /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "Uid":
                out[key] = tuple(int(v) for v in value.split()[:2])
            elif key in ("Seccomp", "NoNewPrivs"):
                out[key] = int(value.strip())
    return out


def socket_inode(local_port, remote_port):
    """The inode of the TCP socket from 127.0.0.1:local_port to
    remote_port (/proc/net/tcp), or None."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if (int(parts[1].split(":")[1], 16) == local_port and
                    int(parts[2].split(":")[1], 16) == remote_port):
                return parts[9]
    return None


def holder(pids, inode):
    """Which of pids holds the socket inode, or None."""
    for pid in pids:
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                    return pid
        except OSError:
            pass
    return None


def answering_process(port, candidates):
    """The pid that holds the server side of a scrape connection: a client
    connects, sends half a request, and the process holding the accepted
    socket is looked up while it waits for the rest."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        c.sendall(b"GET /metrics HTTP/1.1\r\n")
        inode = socket_inode(port, c.getsockname()[1])
        found = []
        wait_for(lambda: found.append(holder(candidates(), inode)) or found[-1], 1.5)
        return found[-1] if found else None


def value(samples, name, **labels):
    """A counter or gauge the exposition lacks counts as 0."""
    v = prometheus.value(samples, name, **labels)
    return 0.0 if v is None else v


def requests(samples, endpoint, status):
    return value(samples, "account_reset_requests_total", endpoint=endpoint, status=str(status))


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=LIMIT, attempt_window=600,
                                db_connect_timeout=2, db_read_timeout=4,
                                db_write_timeout=4).setup())
    port = free_port()

    def start():
        share_with_web_user(f, WEB_USER, config=False)
        r = FastCGIResponder(f, children=2, mode="listen",
                             args=web_user_args(WEB_USER) + ["--socket-group", WEB_USER,
                                                             "--metrics", "127.0.0.1:%d" % port])
        os.chmod(r.dir, 0o711)
        return r.start()
    resp = t.setup(start)
    ng = t.setup(lambda: Nginx(resp.socket).start())
    bound = 4 * (f.settings["db_connect_timeout"] + f.settings["db_read_timeout"]) + 10

    with t.claim("GET /metrics answers 200 in the text exposition format, every "
                 "counter at zero before any request"):
        st, ctype, text = scrape(port)
        expect_eq(st, 200, "status")
        expect(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
        s = parse(text)
        expect_eq(value(s, "account_reset_workers", state="configured"), 2.0, "configured")
        expect(all(v == 0 for (n, _), v in s.items() if n.endswith("_total")),
               "a counter is not zero")

    sandboxed = not any(k in os.environ for k in SANITIZER_VARIABLES)
    with t.claim("the process that answers a scrape is not the supervisor: a child of it "
                 "that is not root%s" % (" and runs under the seccomp filter (NoNewPrivs, "
                                         "Seccomp 2)" if sandboxed else
                                         " (sanitizer build: no filter by design)")):
        sup = resp.procs[0].pid
        pids = []
        # A busy machine may take its time to accept: a new connection each try.
        expect(wait_for(lambda: pids.append(answering_process(
            port, lambda: [sup] + resp.workers() + [resp.metrics_process() or 0])) or pids[-1],
            20), "no process found holding the scrape's socket")
        pid = pids[-1]
        expect(pid != sup, "the supervisor itself (pid %d) answers the scrape" % sup)
        expect_eq(pid, resp.metrics_process(), "the answering pid")
        st = proc_status(pid)
        expect(os.geteuid() != 0 or 0 not in st["Uid"], "uid %r" % (st["Uid"],))
        if sandboxed:
            expect_eq((st.get("NoNewPrivs"), st.get("Seccomp")), (1, 2), "NoNewPrivs, Seccomp")

    # The traffic: 3 resets that succeed, LIMIT unknown codes (400), then 2
    # refused by the attempt limit (429), 2 GETs (405), 3 health checks, 1
    # path no route names (404, nginx sends only the API's paths, so this
    # one goes straight to the socket through cgi-fcgi).
    ok = 0
    for i in range(3):
        email, old, code = f.user_and_code()
        r = ng.post_json({"validation_code": code, "password": strong_password("M%d" % i)}, f)
        expect_token(r, f.settings["client_id"], f.settings["scope"],
                     f.settings["access_token_lifetime"])
        ok += 1
    for _ in range(LIMIT):
        expect_error(ng.post_json({"validation_code": secrets.token_urlsafe(24),
                                   "password": strong_password()}, f), 400,
                     "invalid_validation_code")
    for _ in range(2):
        expect_error(ng.post_json({"validation_code": secrets.token_urlsafe(24),
                                   "password": strong_password()}, f), 429,
                     "too_many_requests")
    for _ in range(2):
        expect_error(ng.request("GET"), 405, "method_not_allowed")
    for _ in range(3):
        expect_eq(ng.request("GET", path="/api/v2/account/health").status, 200, "health")
    nf = resp.request(None, method="GET", env={"REQUEST_URI": "/nowhere",
                                               "DOCUMENT_URI": "/nowhere",
                                               "SCRIPT_NAME": "/nowhere"})
    expect_eq(nf.status, 404, "not_found")
    # 2 recover requests, accepted (202) whether or not the address exists.
    for i in range(2):
        r = ng.request("POST", b'{"email": "metrics%d@example.test"}' % i,
                       {"Content-Type": "application/json"}, path="/api/v2/account/recover/")
        expect_eq(r.status, 202, "recover (%s)" % r.summary())

    s = parse(scrape(port)[2])
    with t.claim("requests_total counts each endpoint and status as sent: reset 200 x3, "
                 "400 x%d, 429 x2, 405 x2; health 200 x3; not_found 404 x1; recover 202 x2, "
                 "none as other" % LIMIT):
        got = (requests(s, "reset", 200), requests(s, "reset", 400), requests(s, "reset", 429),
               requests(s, "reset", 405), requests(s, "health", 200),
               requests(s, "not_found", 404), requests(s, "recover", 202),
               requests(s, "recover", "other"))
        expect_eq(got, (3.0, float(LIMIT), 2.0, 2.0, 3.0, 1.0, 2.0, 0.0), "counts")
        total = sum(v for (n, _), v in s.items() if n == "account_reset_requests_total")
        expect_eq(total, 3.0 + LIMIT + 2 + 2 + 3 + 1 + 2, "all requests")

    with t.claim("the duration histogram: count and +Inf equal the requests, buckets "
                 "never decrease, the sum is positive"):
        for ep, n in (("reset", 3 + LIMIT + 2 + 2), ("health", 3), ("not_found", 1)):
            les = sorted(((lbl, v) for (name, lbl), v in s.items()
                          if name == "account_reset_request_duration_seconds_bucket"
                          and ("endpoint", ep) in lbl),
                         key=lambda kv: float(dict(kv[0])["le"].replace("+Inf", "inf")))
            counts = [v for _, v in les]
            expect(counts == sorted(counts), "%s buckets decrease: %r" % (ep, counts))
            expect_eq(counts[-1], float(n), "%s +Inf" % ep)
            expect_eq(value(s, "account_reset_request_duration_seconds_count", endpoint=ep),
                      float(n), "%s count" % ep)
            expect(value(s, "account_reset_request_duration_seconds_sum", endpoint=ep) > 0,
                   "%s sum" % ep)

    with t.claim("PBKDF2 ran once per successful reset (3), and took time"):
        expect_eq(value(s, "account_reset_pbkdf2_duration_seconds_count"), 3.0, "count")
        expect(value(s, "account_reset_pbkdf2_duration_seconds_sum") > 0, "sum")

    with t.claim("attempt_limit_refusals_total counts the two 429s"):
        expect_eq(value(s, "account_reset_attempt_limit_refusals_total"), 2.0, "refusals")

    with t.claim("no database error, reconnect or rerun yet; 2 workers alive, no restart"):
        expect_eq((value(s, "account_reset_db_errors_total", kind="unavailable"),
                   value(s, "account_reset_db_errors_total", kind="error"),
                   value(s, "account_reset_db_reconnects_total"),
                   value(s, "account_reset_db_reruns_total")), (0.0, 0.0, 0.0, 0.0), "db")
        expect_eq(value(s, "account_reset_workers", state="alive"), 2.0, "alive")
        expect_eq(value(s, "account_reset_worker_restarts_total"), 0.0, "restarts")

    with t.claim("a worker killed with SIGKILL is counted as a restart, 2 are alive "
                 "again, and no count is lost"):
        victim = resp.workers()[0]
        os.kill(victim, signal.SIGKILL)
        expect(wait_for(lambda: victim not in resp.workers() and len(resp.workers()) == 2, 20),
               "not replaced")
        s2 = parse(scrape(port)[2])
        expect_eq(value(s2, "account_reset_worker_restarts_total"), 1.0, "restarts")
        expect(wait_for(lambda: value(parse(scrape(port)[2]), "account_reset_workers",
                                      state="alive") == 2.0, 20), "alive")
        expect_eq(requests(s2, "reset", 200), 3.0, "reset 200 after the restart")
        expect_eq(requests(s2, "health", 200), 3.0, "health 200 after the restart")

    f.db.stop()
    time.sleep(1.05)  # health answers from a round trip of the last second
    with t.claim("with the database stopped, every health check, reset and recover is "
                 "counted as a database error (unavailable), and answered 503"):
        for _ in range(2):
            expect_eq(ng.request("GET", path="/api/v2/account/health", timeout=bound).status,
                      503, "health")
        expect_error(ng.post_json({"validation_code": secrets.token_urlsafe(24),
                                   "password": strong_password()}, f), 503,
                     "temporarily_unavailable")
        expect_eq(ng.request("POST", json.dumps({"email": "someone@example.org"}).encode(),
                             {"Content-Type": "application/json"},
                             path="/api/v2/account/recover/", timeout=bound).status,
                  503, "recover")
        s3 = parse(scrape(port)[2])
        expect_eq(value(s3, "account_reset_db_errors_total", kind="unavailable"), 4.0,
                  "unavailable")
        expect_eq(requests(s3, "health", 503) + requests(s3, "reset", 503) +
                  requests(s3, "recover", 503), 4.0, "503s")

    f.db.start()
    with t.claim("once the database is back, the workers' new connections are counted "
                 "as reconnects"):
        expect(wait_for(lambda: all(ng.request("GET", path="/api/v2/account/health",
                                               timeout=bound).status == 200 for _ in range(4)),
                        bound), "health not back")
        expect(value(parse(scrape(port)[2]), "account_reset_db_reconnects_total") >= 1,
               "no reconnect counted")

    with t.claim("SIGHUP starts a new metrics child (with the new configuration), which "
                 "answers, still not as root"):
        before = resp.metrics_process()
        os.kill(resp.procs[0].pid, signal.SIGHUP)
        expect(wait_for(lambda: resp.metrics_process() not in (None, before), 20),
               "still %r" % before)
        expect_eq(scrape(port)[0], 200, "status")
        expect(os.geteuid() != 0 or 0 not in proc_status(resp.metrics_process())["Uid"],
               "root")

    with t.claim("the endpoint answers only GET /metrics: 404 for another path, 405 for "
                 "another method"):
        expect_eq(scrape(port, "/other")[0], 404, "other path")
        expect_eq(scrape(port, "/metrics", method="POST")[0], 405, "POST")

    with t.claim("a silent client and an oversized request do not stop it: both are "
                 "dropped and a scrape after them is answered"):
        silent = socket.create_connection(("127.0.0.1", port))
        big = socket.create_connection(("127.0.0.1", port))
        big.sendall(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"x" * 20000)
        st = scrape(port)[0]
        expect_eq(st, 200, "scrape")
        big.settimeout(30)
        try:
            rest = big.recv(100)
        except OSError:
            rest = b""
        expect(not rest.startswith(b"HTTP/1.1 200"), "the oversized request was answered")
        silent.close()
        big.close()

    with t.claim("SIGHUP is still handled with a scrape going on (the supervisor's loop "
                 "is not held)"):
        before = resp.log_text().count(b"configuration reloaded")
        hold = socket.create_connection(("127.0.0.1", port))  # sends nothing
        os.kill(resp.pids[0], signal.SIGHUP)
        expect(wait_for(lambda: resp.log_text().count(b"configuration reloaded") > before,
                        30), "no reload")
        hold.close()
        expect_eq(scrape(port)[0], 200, "scrape after the reload")

    with t.claim("the metrics carry no secret"):
        text = scrape(port)[2]
        expect(not f.leaks(text), f.leak_report(text))

    ng.stop()
    resp.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
