#!/usr/bin/env python3
"""test_migrate_cluster.py: account-reset-admin migrate on a 3-node Galera
cluster (wsrep_mode=STRICT_REPLICATION).

A database with the schema of the galera branch (commit 0b20e52:
attempt_failures, no mail_queue; tests/fixtures/schema/002-0b20e52.sql)
and rows in it, made through node 1.  migrate, run against node 1 while
node 2 is written to, brings it up to date: each DDL statement replicates
on its own, every node ends with today's tables (SHOW CREATE TABLE alike
with its own copy of conf/schema.sql), the rows are on every node, and the
cluster stays whole and Synced.  migrate run again through node 2 finds
nothing to do.
"""

import os
import re
import threading

from harness import TAP, expect, expect_eq, _write_private
from galera import ClusterFixture

OLD = "m_galera"
TABLES = ("attempt_failures", "events", "mail_queue", "reset_codes", "schema_version",
          "tokens", "users", "webhook_outbox")


def create_table(node, database, table):
    """As test_migrate.py's: indexes in name order."""
    text = node.sql("SHOW CREATE TABLE `%s`" % table, database=database)[0][1]
    lines = [l.rstrip(",") for l in re.sub(r" AUTO_INCREMENT=\d+", "", text).splitlines()]
    keys = sorted(l for l in lines if l.startswith("  KEY ") or l.startswith("  UNIQUE KEY "))
    rest = [l for l in lines if l not in keys]
    return "\n".join(rest[:-1] + keys + rest[-1:])


def main():
    t = TAP()
    f = t.setup(lambda: ClusterFixture(iterations=1000).setup())
    c = f.cluster
    n1 = c.node(1)
    fixture = os.path.join(f.srcdir, "tests", "fixtures", "schema", "002-0b20e52.sql")

    def prepare():
        n1.sql("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % OLD,
               database=None)
        with open(fixture, "rb") as fh:
            n1.sql_script(fh.read(), database=OLD)
        n1.sql("INSERT INTO users (email, password, created_at) VALUES "
               "('galera-old@example.test', 'x', UTC_TIMESTAMP(6)); "
               "INSERT INTO reset_codes (user_id, code_sha256, created_at, expires_at) "
               "SELECT id, SHA2('galera-old', 256), UTC_TIMESTAMP(6), "
               "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR FROM users; "
               "INSERT INTO attempt_failures VALUES ('198.51.100.9', 0, 7, 2)", database=OLD)
    t.setup(prepare)

    def config_for_node(i):
        opt = os.path.join(f.etc, "root-%d.cnf" % i)
        _write_private(opt, "[account-reset]\nuser=root\ndatabase=%s\n"
                       "default-character-set=utf8mb4\n" % OLD)
        return f.write_config("migrate-%d.conf" % i, mysql_option_file=opt,
                              db_hosts=c.node(i).socket)

    known = int(n1.sql_value("SELECT MAX(version) FROM schema_version"))
    rows_before = n1.sql("SELECT * FROM users ORDER BY id; SELECT * FROM reset_codes "
                         "ORDER BY id", database=OLD)

    with t.claim("migrate through node 1 exits 0 and runs steps 003 to the last while "
                 "node 2 takes writes"):
        writer = c.node(2)
        cfg = config_for_node(1)
        done = {}
        th = threading.Thread(target=lambda: done.update(r=f.admin("migrate", config=cfg)))
        th.start()
        n = 0
        while th.is_alive() or n < 5:
            writer.sql("INSERT INTO users (email, password, created_at) VALUES "
                       "('noise%d@example.test', 'x', UTC_TIMESTAMP(6))" % n)
            n += 1
        th.join()
        r = done["r"]
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect_eq(re.findall(r"^step (\d{3}) ", r.stdout, re.M),
                  ["%03d" % v for v in range(3, known + 1)], "steps (%r)" % r.stdout)

    for i in (1, 2, 3):
        with t.claim("node %d has today's tables, the current schema version and the rows"
                     % i):
            nd = c.node(i)
            nd.sql("SET SESSION wsrep_sync_wait = 1; SELECT 1", database=OLD)
            got = sorted(r[0] for r in nd.sql("SHOW TABLES", database=OLD))
            expect_eq(got, sorted(TABLES), "tables")
            for tb in TABLES:
                expect_eq(create_table(nd, OLD, tb), create_table(nd, "account_reset", tb),
                          "table %s" % tb)
            expect_eq(nd.sql("SET SESSION wsrep_sync_wait = 1; SELECT MAX(version) FROM "
                             "schema_version", database=OLD)[0][0], str(known), "version")
            # Steps add columns at the end of a row (reset_codes.locale in
            # 008): the old columns must hold the old values.
            got_rows = nd.sql("SET SESSION wsrep_sync_wait = 1; SELECT * FROM users ORDER BY "
                              "id; SELECT * FROM reset_codes ORDER BY id", database=OLD)
            expect_eq([g[:len(b)] for g, b in zip(got_rows, rows_before)]
                      if len(got_rows) == len(rows_before) else got_rows,
                      rows_before, "rows")

    with t.claim("migrate again through node 2: up to date, nothing run"):
        r = f.admin("migrate", config=config_for_node(2))
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect("up to date" in r.stdout and "step" not in r.stdout, "stdout %r" % r.stdout)

    with t.claim("the cluster is whole: 3 nodes, each Synced in the Primary component"):
        for i in (1, 2, 3):
            nd = c.node(i)
            expect_eq(nd.status("wsrep_cluster_size"), "3", "node %d cluster size" % i)
            expect(nd.synced(), "node %d not Synced" % i)

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
