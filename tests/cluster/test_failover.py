#!/usr/bin/env python3
"""test_failover.py: nodes of a 3-node Galera cluster die under load, and
account-reset keeps its promises: nothing half written, 503 and never 500
while it cannot write, 200 again through the other nodes without a
restart.  Responders A (db_hosts 1, 2, 3) and B (2, 3, 1), three workers
each.

1. One node killed mid-burst.  Forty resets at once, half through A and
   half through B (PBKDF2 at 50,000 iterations, so that the burst is
   still running), and node 1 is SIGKILLed after a random number of
   answers.  Meanwhile a prober sends a reset through A every 0.1 s.
   Then: every answer was 200 or 503; every 200 is whole on nodes 2 and 3
   and every other request left nothing there (a request whose COMMIT was
   cut off may be either, never part, as on one server); A's 503s ended
   within a bound derived from the time-outs and A answers 200 through
   node 2 with the same workers; node 1, started again (--wsrep-recover,
   then IST), holds the same rows as the others.

2. Two nodes killed: node 1 is alone and not Primary, and answers every
   query with 1047.  Resets through A and B get 503 (never 500), nothing
   is written; node 2 and 3 started again, the cluster is whole, and the
   same responders answer 200 again, and the refused codes still work.
"""

import os
import random
import re
import subprocess
import sys
import threading
import time

from harness import (TAP, expect, expect_eq, expect_error, expect_token, run_parallel,
                     strong_password, time_scale, verify_django_record, wait_for)
from galera import ClusterFixture

CLIENT_ID = "failover-client"
SCOPE = "read write"
LIFETIME = 3600
N_BURST = 40
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 5
# A killed node leaves the view within evs.inactive_timeout (2 s); until
# then the survivors hold writes.  A request that meets the dead node
# moves to the next host at once (connection refused on loopback).
OUTAGE_BOUND = CONNECT_TIMEOUT + READ_TIMEOUT + 2.0 + 2.0 * time_scale()


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
        out[status_of(r)] = out.get(status_of(r), 0) + 1
    return ", ".join("%d x %s" % (n, k) for k, n in sorted(out.items()))


def whole(state, password):
    record, used, tokens = state
    return verify_django_record(record, password) and used and tokens == 1


def untouched(state):
    record, used, tokens = state
    return record == "x" and not used and tokens == 0


class Prober:
    """Sends one reset every interval through a responder, each with a
    fresh bulk user, and records (seconds since start, status)."""

    def __init__(self, resp, users, interval=0.1):
        self.resp, self.users, self.interval = resp, list(users), interval
        self.answers = []   # (t_sent, t_answered, status, user, password)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.stop.is_set() and self.users:
            u = self.users.pop(0)
            pw = strong_password("Pr")
            sent = time.monotonic()
            try:
                r = self.resp.request(payload(u["code"], pw), timeout=60,
                                      env={"REMOTE_ADDR": "10.9.%d.%d" % (len(self.users) // 250,
                                                                        len(self.users) % 250 + 1)})
                st = r.status
            except BaseException as e:  # judged by the claims
                st = repr(e)
            self.answers.append((sent, time.monotonic(), st, u, pw))
            self.stop.wait(self.interval)

    def start(self):
        self.thread.start()
        return self

    def finish(self):
        self.stop.set()
        self.thread.join(120)


def outage_seconds(answers, since):
    """From since to the first 200 after the last 503 (0 with no 503)."""
    last_503 = [a for a in answers if a[2] == 503 and a[1] >= since]
    if not last_503:
        return 0.0
    end = max(a[1] for a in last_503)
    later_ok = [a for a in answers if a[2] == 200 and a[0] >= end]
    return (min(a[1] for a in later_ok) if later_ok else float("inf")) - since


def node_check(f, node, http=False):
    """scripts/galera-node-check on node (a [client] option file with its
    socket): (exit status, output)."""
    path = os.path.join(f.etc, "node%d-check.cnf" % node)
    with open(path, "w") as fh:
        fh.write("[client]\nsocket=%s\nuser=root\n" % f.cluster.node(node).socket)
    cmd = [os.path.join(f.srcdir, "scripts", "galera-node-check")]
    cmd += (["--http"] if http else []) + [path]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def main():
    t = TAP()
    f = t.setup(lambda: ClusterFixture(iterations=50000, client_id=CLIENT_ID, scope=SCOPE,
                                       access_token_lifetime=LIFETIME,
                                       db_connect_timeout=CONNECT_TIMEOUT,
                                       db_read_timeout=READ_TIMEOUT,
                                       db_write_timeout=READ_TIMEOUT).setup())
    c = f.cluster
    ra = t.setup(f.fastcgi, children=3, config=f.config_for((1, 2, 3)))
    rb = t.setup(f.fastcgi, children=3, config=f.config_for((2, 3, 1)))
    pids = (sorted(ra.workers()), sorted(rb.workers()))
    burst = t.setup(f.bulk_users, N_BURST, "burst")
    probe_users = t.setup(f.bulk_users, 400, "probe")
    passwords = [strong_password("B%d" % i) for i in range(N_BURST)]

    with t.claim("before the kill both responders answer 200 (A on node 1, B on node 2)"):
        for resp in (ra, rb):
            u = probe_users.pop()
            expect_token(resp.request(payload(u["code"], strong_password())),
                         CLIENT_ID, SCOPE, LIFETIME)

    # ------------------------------------------------------------ 1. one node
    results = [None] * N_BURST
    done = threading.Semaphore(0)

    def send(i):
        resp = ra if i % 2 == 0 else rb
        try:
            results[i] = resp.request(payload(burst[i]["code"], passwords[i]), timeout=90,
                                      env={"HTTP_X_REQUEST_ID": "burst-%02d" % i,
                                           "REMOTE_ADDR": "10.8.0.%d" % (i + 1)})
        except BaseException as e:  # judged by the claims
            results[i] = e
        done.release()

    prober = Prober(ra, probe_users[:200]).start()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(N_BURST)]
    for th in threads:
        th.start()
    k = random.randint(N_BURST // 5, N_BURST // 2)
    for _ in range(k):
        done.acquire(timeout=90)
    c.kill(1)
    killed_at = time.monotonic()
    for th in threads:
        th.join(120)
    # Let the prober see the other side of the outage.
    wait_for(lambda: any(a[2] == 200 and a[0] > killed_at + 0.5 for a in prober.answers) and
             time.monotonic() > killed_at + 3, OUTAGE_BOUND + 5, step=0.2)
    prober.finish()
    t.diag("one node killed after %d answers of the burst: %s" % (k, tally(results)))
    outage = outage_seconds(prober.answers, killed_at)
    after = [a for a in prober.answers if a[1] >= killed_at]
    t.diag("prober through A: %d answers after the kill, %d x 503, 503s for %.2f s "
           "after the kill" % (len(after), sum(1 for a in after if a[2] == 503), outage))

    with t.claim("node 1 killed mid-burst: every request was answered 200 or 503 (no 500, "
                 "none lost)"):
        bad = ["burst-%02d: %s" % (i, status_of(r)) for i, r in enumerate(results)
               if isinstance(r, BaseException) or r.status not in (200, 503)]
        bad += ["probe: %r" % (a[2],) for a in prober.answers if a[2] not in (200, 503)]
        expect(not bad, "\n".join(bad))

    commit_cut = set()
    for resp in (ra, rb):
        for line in resp.log_lines():
            m = re.search(rb"request id=(burst-[0-9]+) database: COMMIT", line)
            if m:
                commit_cut.add(m.group(1).decode())

    t.diag("requests whose COMMIT was cut off by the kill (answered 503): %d"
           % len(commit_cut))
    with t.claim("every 200 of the burst and of the prober is whole on nodes 2 and 3, and "
                 "every other request left nothing there (a COMMIT cut off by the kill: "
                 "all or nothing)") as cl:
        problems = []
        cases = [(burst[i], passwords[i], getattr(r, "status", None), "burst-%02d" % i)
                 for i, r in enumerate(results)]
        cases += [(a[3], a[4], a[2], "probe") for a in prober.answers]
        for u, pw, st, rid in cases:
            for node in (2, 3):
                s = f.reset_state(node, u["email"], u["code"])
                if st == 200 and not whole(s, pw):
                    problems.append("%s (200) node %d: %r" % (rid, node, s[1:]))
                elif st != 200 and not untouched(s) and not (
                        rid in commit_cut and whole(s, pw)):
                    problems.append("%s (%s) node %d: %r" % (rid, st, node, s[1:]))
        cl.note("COMMIT cut off: %s" % sorted(commit_cut))
        expect(not problems, "\n".join(problems[:10]))

    with t.claim("through A, whose first host died, 503 lasted at most %.0f s after the "
                 "kill, then 200 through node 2, from the same workers (no restart)"
                 % OUTAGE_BOUND):
        expect(outage <= OUTAGE_BOUND, "503 for %.1f s" % outage)
        expect_eq((sorted(ra.workers()), sorted(rb.workers())), pids, "worker pids")
        u = probe_users.pop()
        expect_token(ra.request(payload(u["code"], strong_password())),
                     CLIENT_ID, SCOPE, LIFETIME)

    rejoin_start = time.monotonic()
    t.setup(c.start_node, 1)
    rejoin = time.monotonic() - rejoin_start
    with open(c.node(1).error_log, errors="replace") as fh:
        by_ist = "IST received" in fh.read()
    t.diag("node 1 rejoined in %.1f s (%s)" % (rejoin, "IST" if by_ist else "SST"))

    def checksums(node):
        return c.node(node).sql("SET SESSION wsrep_sync_wait = 1; "
                                "CHECKSUM TABLE users, reset_codes, tokens")

    with t.claim("node 1, started again, rejoined (recovered position, IST) and holds the "
                 "same rows as nodes 2 and 3"):
        expect(by_ist, "node 1 did not rejoin by IST")
        sums = [checksums(n) for n in (1, 2, 3)]
        expect(sums[0] == sums[1] == sums[2], "checksums differ: %r" % sums)

    with t.claim("scripts/galera-node-check calls a Synced node of the Primary "
                 "component fit (exit 0; --http: 200)") as cl:
        st, out = node_check(f, 1)
        cl.note(out)
        expect(st == 0 and out.startswith("fit"), "exit %d: %s" % (st, out))
        st, out = node_check(f, 1, http=True)
        expect(st == 0 and out.startswith("HTTP/1.1 200"), "exit %d: %s" % (st, out))

    # ------------------------------------------------------------ 2. two nodes
    c.kill(2)
    c.kill(3)
    quorum_lost = time.monotonic()
    refused, answers = [], []
    deadline = quorum_lost + 4.0 * time_scale()
    i = 0
    while time.monotonic() < deadline or not answers:
        u = probe_users.pop()
        resp = (ra, rb)[i % 2]
        pw = strong_password("Q")
        r = resp.request(payload(u["code"], pw), timeout=60,
                         env={"REMOTE_ADDR": "10.7.0.%d" % (i % 250 + 1)})
        answers.append((time.monotonic() - quorum_lost, r.status, u, pw, r))
        i += 1
        time.sleep(0.1)
    t.diag("no quorum: %d answers in %.1f s: %s" % (
        len(answers), answers[-1][0], tally([a[4] for a in answers])))
    with t.claim("nodes 2 and 3 killed (node 1 alone, not Primary): every reset through A "
                 "and B gets 200 or 503 (never 500), and once node 1 has left the Primary "
                 "view, 503 temporarily_unavailable with Retry-After"):
        expect(all(a[1] in (200, 503) for a in answers), "answers: %r" % [a[1] for a in answers])
        expect_eq(c.node(1).status("wsrep_cluster_status"), "non-Primary", "node 1")
        expect_error(answers[-1][4], 503, "temporarily_unavailable")
        expect_error(ra.request(payload(probe_users[-1]["code"], strong_password())),
                     503, "temporarily_unavailable")

    with t.claim("...and calls node 1, alone and not Primary, not fit (exit 1; --http: "
                 "503), where a handshake check would pass"):
        st, out = node_check(f, 1)
        expect(st == 1 and "non-Primary" in out, "exit %d: %s" % (st, out))
        st, out = node_check(f, 1, http=True)
        expect(st == 1 and out.startswith("HTTP/1.1 503"), "exit %d: %s" % (st, out))

    back_start = time.monotonic()
    # Both together: the Primary component they left comes back when all
    # of its members are (pc.recovery).
    t.setup(c.start_node, 2, 3)
    t.diag("quorum back in %.1f s after nodes 2 and 3 were started again"
           % (time.monotonic() - back_start))

    with t.claim("with quorum back, the same responders answer 200 again, and every reset "
                 "refused without quorum left nothing and its code now works"):
        expect_eq((sorted(ra.workers()), sorted(rb.workers())), pids, "worker pids")
        problems = []
        for _t, st, u, pw, _r in answers:
            s = f.reset_state(1, u["email"], u["code"])
            if st == 200 and not whole(s, pw):
                problems.append("200 not whole: %r" % (s[1:],))
            if st != 200:
                if not untouched(s):
                    problems.append("503 left %r" % (s[1:],))
                    continue
                pw2 = strong_password("Again")
                r = ra.request(payload(u["code"], pw2))
                if r.status != 200:
                    problems.append("retry: %s" % r.summary())
        expect(not problems, "\n".join(problems[:10]))

    with t.claim("no password, code or token appears in any responder's or node's log"):
        text = ra.log_text() + rb.log_text()
        for nd in c.nodes:
            with open(nd.error_log, "rb") as fh:
                text += fh.read()
        leaked = f.leaks(text)
        expect(not leaked, f.leak_report(text))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
