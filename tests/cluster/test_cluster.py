#!/usr/bin/env python3
"""test_cluster.py: account-reset on a 3-node MariaDB Galera cluster that
this test starts on 127.0.0.1 (tests/lib/galera.py), through responders
whose db_hosts start with different nodes: A (1, 2, 3), B (2, 3, 1) and
C (3, 1, 2).

* The schema fits Galera: every table InnoDB with a primary key, loaded
  under wsrep_mode=STRICT_REPLICATION.
* A reset through A and one through B: each whole on every node.
* One code raced by four requests, two through A (node 1) and two through
  B (node 2), 100 times: exactly one 200 each time, the others
  invalid_validation_code (the loser's COMMIT fails certification, 1213,
  and its rerun finds the code used), and the winner's password on every
  node.
* Failed attempts counted through node 1 and node 2 add up: node 3
  refuses the client (429) once it has applied them, before any lookup,
  and a valid code sent then stays unused on every node.
"""

import secrets
import sys

from harness import (TAP, expect, expect_eq, expect_error, expect_token, run_parallel,
                     sha256_hex, strong_password, verify_django_record)
from galera import ClusterFixture

CLIENT_ID = "cluster-client"
SCOPE = "read write"
LIFETIME = 3600
ROUNDS = 100
LIMIT = 4


def payload(code, password):
    return {"validation_code": code, "password": password}


def main():
    t = TAP()
    f = t.setup(lambda: ClusterFixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                       access_token_lifetime=LIFETIME, db_retries=3,
                                       attempt_limit=LIMIT, attempt_window=600).setup())
    t.diag("cluster of 3 Synced in %.1f s (from the template)" % f.cluster.start_seconds)
    ra = t.setup(f.fastcgi, children=2, config=f.config_for((1, 2, 3)))
    rb = t.setup(f.fastcgi, children=2, config=f.config_for((2, 3, 1)))
    rc = t.setup(f.fastcgi, children=1, config=f.config_for((3, 1, 2)))

    def token(r):
        return expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    def record_on(node, email):
        return f.synced_value(node, "SELECT password FROM account_reset.users WHERE "
                              "email = '%s'" % email)

    with t.claim("every table is InnoDB with a primary key (the schema loaded under "
                 "wsrep_mode=STRICT_REPLICATION)"):
        rows = f.db.sql("SELECT t.table_name, t.engine, COUNT(k.constraint_name) FROM "
                        "information_schema.tables t LEFT JOIN "
                        "information_schema.table_constraints k ON k.table_schema = "
                        "t.table_schema AND k.table_name = t.table_name AND "
                        "k.constraint_type = 'PRIMARY KEY' WHERE t.table_schema = "
                        "'account_reset' GROUP BY t.table_name, t.engine")
        want = {"users", "reset_codes", "tokens", "attempt_failures", "mail_queue",
                "schema_version", "events", "webhook_outbox"}
        expect({r[0] for r in rows} == want, "tables: %r, want %s" % (rows, sorted(want)))
        expect(all(r[1] == "InnoDB" and r[2] == "1" for r in rows), "tables: %r" % rows)

    for name, resp, writer in (("A (node 1 first)", ra, 1), ("B (node 2 first)", rb, 2)):
        with t.claim("a reset through %s answers 200, and every node holds all of it: "
                     "the new password, the code used, the token row" % name) as cl:
            email, old, code = f.user_and_code()
            new = strong_password("Cl")
            r = resp.request(payload(code, new))
            cl.note(r.summary())
            tok = token(r)
            for node in (1, 2, 3):
                expect(verify_django_record(record_on(node, email), new),
                       "node %d: not the new password" % node)
                used = f.synced_value(node, "SELECT used_at IS NOT NULL FROM "
                                      "account_reset.reset_codes WHERE code_sha256 = '%s'"
                                      % sha256_hex(code))
                expect_eq(used, "1", "node %d: code used" % node)
                n = f.synced_value(node, "SELECT COUNT(*) FROM account_reset.tokens WHERE "
                                   "access_sha256 = '%s'" % sha256_hex(tok["access_token"]))
                expect_eq(n, "1", "node %d: token rows" % node)

    # -- the race, 100 times, on users and codes made in bulk
    race_users = f.bulk_users(ROUNDS, "race")
    winners, bad, wrong_pw = 0, [], []
    statuses = {}
    for i, code in enumerate(u["code"] for u in race_users):
        pws = [strong_password("R%dx%d" % (i, j)) for j in range(4)]
        via = [ra, ra, rb, rb]
        # Each racer from an address of its own: a loser's invalid code
        # counts as a failed attempt, and must not bring anyone to the limit.
        res = run_parallel([lambda j=j: via[j].request(
            payload(code, pws[j]), env={"REMOTE_ADDR": "10.1.%d.%d" % (i, j + 1)})
            for j in range(4)])
        ok = [j for j, r in enumerate(res) if getattr(r, "status", None) == 200]
        for r in res:
            k = getattr(r, "status", repr(r))
            statuses[k] = statuses.get(k, 0) + 1
        losers_ok = all(getattr(r, "status", None) == 400 and
                        r.json.get("error") == "invalid_validation_code"
                        for j, r in enumerate(res) if j not in ok)
        if len(ok) == 1 and losers_ok:
            winners += 1
            email = race_users[i]["email"]
            for node in (1, 2, 3):
                if not verify_django_record(record_on(node, email), pws[ok[0]]):
                    wrong_pw.append("round %d node %d" % (i, node))
        else:
            bad.append("round %d: %s" % (i, [getattr(r, "summary", lambda: repr(r))()[:120]
                                             for r in res]))
    reruns = sum(1 for resp in (ra, rb) for l in resp.log_lines()
                 if b"reset transaction rerun" in l)
    t.diag("race: single winner in %d of %d rounds; answers %r; %d reset transactions "
           "rerun (certification failures at COMMIT or deadlocks)"
           % (winners, ROUNDS, statuses, reruns))
    with t.claim("one code raced by 4 requests through nodes 1 and 2, %d times: exactly "
                 "one 200 each time, every other answer invalid_validation_code" % ROUNDS):
        expect(not bad, "%d bad rounds:\n%s" % (len(bad), "\n".join(bad[:5])))
    with t.claim("...and each time the winner's password is the one on every node"):
        expect(not wrong_pw, "%d mismatches: %s" % (len(wrong_pw), wrong_pw[:5]))

    # -- attempt limits across nodes
    addr = "192.0.2.77"

    def guess(resp, code=None):
        return resp.request(payload(code or secrets.token_urlsafe(24), strong_password()),
                            env={"REMOTE_ADDR": addr})

    with t.claim("%d failed attempts from one address, half through node 1 (A) and half "
                 "through node 2 (B), each get invalid_validation_code" % LIMIT):
        for i in range(LIMIT):
            expect_error(guess(ra if i % 2 == 0 else rb), 400, "invalid_validation_code")
    with t.claim("node 3 (C), once it has applied them, counts all %d and refuses the "
                 "address with 429 and Retry-After" % LIMIT) as cl:
        n = f.synced_value(3, "SELECT SUM(failures) FROM account_reset.attempt_failures "
                           "WHERE client_key = '%s'" % addr)
        expect_eq(n, str(LIMIT), "failures seen on node 3")
        r = guess(rc)
        cl.note(r.summary())
        expect_error(r, 429, "too_many_requests")
        expect(1 <= int(r.header("retry-after", "0")) <= 600, "Retry-After")
    with t.claim("...and a valid code from that address through node 3 gets 429 and "
                 "stays unused on every node"):
        email, old, code = f.user_and_code()
        expect_error(guess(rc, code), 429, "too_many_requests")
        for node in (1, 2, 3):
            used = f.synced_value(node, "SELECT used_at FROM account_reset.reset_codes "
                                  "WHERE code_sha256 = '%s'" % sha256_hex(code))
            expect(used is None, "node %d: the code was used" % node)
    with t.claim("the rows of one client's failures were written by different processes "
                 "on different nodes without a conflict: one row per writer"):
        rows = f.synced_value(1, "SELECT COUNT(*) FROM account_reset.attempt_failures "
                              "WHERE client_key = '%s'" % addr)
        expect(int(rows) >= 2, "rows: %s" % rows)

    with t.claim("no responder answered 500 or died, and no password, code or token "
                 "appears in any responder's or node's log"):
        for resp in (ra, rb, rc):
            expect(resp.alive(), "a responder exited")
        text = b"".join(resp.log_text() for resp in (ra, rb, rc))
        for nd in f.cluster.nodes:
            with open(nd.error_log, "rb") as fh:
                text += fh.read()
        leaked = f.leaks(text)
        expect(not leaked, f.leak_report(text))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
