#!/usr/bin/env python3
"""test_token_race.py: one refresh token sent at once through two Galera
nodes (twice through responder A on node 1, twice through responder B on
node 2), ROUNDS times: exactly one answer is a new pair, the others
invalid_grant (the loser's
COMMIT fails certification, 1213, and its rerun finds the row rotated; or
it runs after the winner's write set and finds the same).  A refresh token
presented twice is reuse (RFC 9700 4.14.2), so the loser also ends the
family: on every node the raced row is rotated once, one new row was
made, and no token of the family is left open."""

import secrets
import sys

from harness import TAP, expect, expect_error, expect_token, run_parallel, sha256_hex
from galera import ClusterFixture
from tokens import refresh

CLIENT_ID = "cluster-client"
SCOPE = "read write"
ROUNDS = 30


def main():
    t = TAP()
    f = t.setup(lambda: ClusterFixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                       db_retries=3).setup())
    ra = t.setup(f.fastcgi, children=2, config=f.config_for((1, 2, 3)))
    rb = t.setup(f.fastcgi, children=2, config=f.config_for((2, 3, 1)))

    users = f.bulk_users(ROUNDS, "tokrace")
    pairs = []
    for u in users:
        a, r = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        f.note_secret(a)
        f.note_secret(r)
        pairs.append((u["email"], a, r))
    f.db.sql("INSERT INTO tokens (user_id, access_sha256, refresh_sha256, client_id, scope, "
             "created_at, access_expires_at, refresh_expires_at) SELECT u.id, v.a, v.r, "
             "'%s', '%s', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, "
             "UTC_TIMESTAMP(6) + INTERVAL 1 DAY FROM users u JOIN (%s) v ON v.e = u.email"
             % (CLIENT_ID, SCOPE, " UNION ALL ".join(
                 "SELECT '%s' AS e, '%s' AS a, '%s' AS r" % (e, sha256_hex(a), sha256_hex(r))
                 for e, a, r in pairs)))

    bad, statuses = [], {}
    for i, (email, _, rtok) in enumerate(pairs):
        res = run_parallel([lambda j=j, via=via: refresh(f, rtok, responder=via,
                                                          addr="10.2.%d.%d" % (i, j + 1))
                            for j, via in enumerate((ra, rb, ra, rb))])
        for r in res:
            k = getattr(r, "status", repr(r))
            statuses[k] = statuses.get(k, 0) + 1
        won = [r for r in res if getattr(r, "status", None) == 200]
        lost = [r for r in res if getattr(r, "status", None) == 400 and
                r.json.get("error") == "invalid_grant"]
        if len(won) != 1 or len(lost) != 3:
            bad.append("round %d: %s" % (i, [getattr(r, "summary", lambda: repr(r))()[:160]
                                             for r in res]))
        else:
            expect_token(won[0], CLIENT_ID, SCOPE, 3600)
    reruns = sum(1 for resp in (ra, rb) for l in resp.log_lines() if b"refresh rerun" in l)
    t.diag("race: answers %r" % statuses)

    with t.claim("one refresh token sent 4 times at once, twice through node 1 and twice "
                 "through node 2, %d times: exactly one new pair each time, every other "
                 "answer invalid_grant" % ROUNDS):
        expect(not bad, "%d bad rounds:\n%s" % (len(bad), "\n".join(bad[:5])))

    with t.claim("on every node: each raced row rotated once, one new row in its family, "
                 "and the family ended (the second use is reuse)"):
        for node in (1, 2, 3):
            row = f.synced_value(node, (
                "SELECT CONCAT(SUM(t.rotated_at IS NOT NULL), '/', "
                "SUM(t.family_id IS NOT NULL), '/', SUM(t.revoked_at IS NULL)) FROM "
                "account_reset.tokens t JOIN account_reset.users u ON u.id = t.user_id "
                "WHERE u.email LIKE '%s%%'" % users[0]["email"].split("@")[0][:-1]))
            expect(row == "%d/%d/0" % (ROUNDS, ROUNDS), "node %d: rotated/new/open = %s"
                   % (node, row))

    with t.claim("no responder died, and no token is in any responder's or node's log"):
        for resp in (ra, rb):
            expect(resp.alive(), "a responder exited")
        text = b"".join(resp.log_text() for resp in (ra, rb))
        for nd in f.cluster.nodes:
            with open(nd.error_log, "rb") as fh:
                text += fh.read()
        expect(not f.leaks(text), f.leak_report(text))
    t.diag("refresh transactions rerun: %d" % reruns)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
