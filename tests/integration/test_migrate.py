#!/usr/bin/env python3
"""test_migrate.py: account-reset-admin migrate against a real MariaDB.

From the schema of every commit that changed conf/schema.sql
(tests/fixtures/schema/NNN-COMMIT.sql, `git show COMMIT:conf/schema.sql`,
NNN the version migrate finds in it; the galera branch's 0b20e52 too),
with users, codes, tokens, attempt counters and queue rows in it: migrate
brings it to the tables of today's conf/schema.sql (SHOW CREATE TABLE
alike), the rows survive (a code issued before the upgrade still resets
the password after it), and a second run finds nothing to do; a migrate
cut short between a step's statements and its record is finished by the
next.  Before the
upgrade every program refuses the database, naming the command: the CGI
program, the responder's supervisor, the mailer and the admin CLI; so
they do after it for a schema newer than theirs.  migrate refuses a
database without an account-reset schema, and a newer schema.
"""

import glob
import os
import re
import subprocess

from harness import (TAP, Fixture, expect, expect_eq, make_tempdir, scaled, sha256_hex,
                     strong_password, _base_env)
from smtpd import Mailer, mail_settings

MIGRATE_HINT = "account-reset-admin migrate"
TABLES_TODAY = ("users", "reset_codes", "tokens", "attempt_failures", "mail_queue",
                "schema_version")


def fixtures(srcdir):
    paths = sorted(glob.glob(os.path.join(srcdir, "tests", "fixtures", "schema", "*.sql")))
    out = []
    for p in paths:
        m = re.match(r"(\d{3})-([0-9a-f]+)\.sql\Z", os.path.basename(p))
        out.append((int(m.group(1)), m.group(2), p))
    return out


def tables(db, database):
    return sorted(r[0] for r in db.sql("SHOW TABLES", database=database))


def create_table(db, database, table):
    """SHOW CREATE TABLE without the counter, its indexes in name order (a
    step adds an index at the end; schema.sql may list it elsewhere)."""
    text = db.sql("SHOW CREATE TABLE `%s`" % table, database=database)[0][1]
    lines = [l.rstrip(",") for l in re.sub(r" AUTO_INCREMENT=\d+", "", text).splitlines()]
    keys = sorted(l for l in lines if l.startswith("  KEY ") or l.startswith("  UNIQUE KEY "))
    rest = [l for l in lines if l not in keys]
    return "\n".join(rest[:-1] + keys + rest[-1:])


class OldDatabase:
    """A database loaded with an earlier schema, its own option file and
    config, and rows in every table that schema has."""

    def __init__(self, f, version, commit, path):
        self.f = f
        self.version = version
        self.name = "m%03d_%s" % (version, commit)
        f.db.sql("CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
                 "COLLATE utf8mb4_unicode_ci" % self.name, database=None)
        with open(path, "rb") as fh:
            f.db.sql_script(fh.read(), database=self.name)
        self.option_file = f.write_option_file(
            os.path.join(f.etc, "my-%s.cnf" % self.name), database=self.name)
        self.config = f.write_config("%s.conf" % self.name, mysql_option_file=self.option_file,
                                     **mail_settings(smtp_url="smtp://127.0.0.1:9",
                                                     smtp_require_tls="off"))
        self.tables = tables(f.db, self.name)
        self.path = path

    def sql(self, q):
        return self.f.db.sql(q, database=self.name)

    def fill(self):
        """Rows as that version's programs would have written them; the
        code of the first user (it must still reset after the upgrade)."""
        self.email = "old-%03d@example.test" % self.version
        self.code = "old-code-%03d-%s" % (self.version, os.urandom(8).hex())
        self.f.note_secret(self.code)
        self.sql("INSERT INTO users (email, password, created_at) VALUES "
                 "('%s', 'pbkdf2_sha256$1000$c2FsdA$AAAA', UTC_TIMESTAMP(6)), "
                 "('other-%03d@example.test', 'pbkdf2_sha256$1000$c2FsdA$BBBB', "
                 "UTC_TIMESTAMP(6))" % (self.email, self.version))
        self.sql("INSERT INTO reset_codes (user_id, code_sha256, created_at, expires_at) "
                 "SELECT id, '%s', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 HOUR "
                 "FROM users WHERE email = '%s'" % (sha256_hex(self.code), self.email))
        self.sql("INSERT INTO tokens (user_id, access_sha256, refresh_sha256, client_id, "
                 "scope, created_at, access_expires_at, refresh_expires_at) SELECT id, "
                 "REPEAT('a', 64), REPEAT('b', 64), 'old-client', 'read', UTC_TIMESTAMP(6), "
                 "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6) + INTERVAL 1 DAY "
                 "FROM users WHERE email LIKE 'other-%'")
        if "attempt_counters" in self.tables:
            self.sql("INSERT INTO attempt_counters VALUES ('198.51.100.7', 0, 3)")
        if "attempt_failures" in self.tables:
            self.sql("INSERT INTO attempt_failures VALUES ('198.51.100.7', 0, 1, 3)")
        if "mail_queue" in self.tables:
            self.sql("INSERT INTO mail_queue (request_id, client_key, email, created_at, "
                     "enqueued_at, state, due_at, lease_token) VALUES "
                     "('req-1', '198.51.100.7', 'queued@example.test', UTC_TIMESTAMP(6), "
                     "UTC_TIMESTAMP(6), 'queued', UTC_TIMESTAMP(6), NULL), "
                     "('req-2', '198.51.100.8', 'sent@example.test', UTC_TIMESTAMP(6), "
                     "UTC_TIMESTAMP(6), 'sent', UTC_TIMESTAMP(6), NULL)")

    def snapshot(self, columns=None):
        """The rows that must survive, table by table: {table: (columns,
        rows)}; with columns (an earlier snapshot), only those columns
        (a step may add some)."""
        snap = {}
        for t, order in (("users", "id"), ("reset_codes", "id"), ("tokens", "id"),
                         ("mail_queue", "id"), ("attempt_failures", "client_key")):
            if t in tables(self.f.db, self.name):
                cols = (columns[t][0] if columns and t in columns else
                        [r[0] for r in self.sql("SHOW COLUMNS FROM `%s`" % t)])
                snap[t] = (cols, self.sql("SELECT %s FROM `%s` ORDER BY %s"
                                          % (", ".join("`%s`" % c for c in cols), t, order)))
        return snap

    def migrate(self):
        return self.f.admin("migrate", config=self.config)


def cgi_reset(f, config, code, password):
    return f.cgi({"validation_code": code, "password": password}, config=config)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    olds = [OldDatabase(f, v, c, p) for v, c, p in fixtures(f.srcdir)]
    today = {tb: create_table(f.db, "account_reset", tb) for tb in TABLES_TODAY}
    known = int(f.db.sql_value("SELECT MAX(version) FROM schema_version"))

    with t.claim("there is a fixture for the schema of every earlier commit, 000 to %03d"
                 % (known - 1)):
        expect_eq(sorted(set(o.version for o in olds if o.version < known)),
                  list(range(known)), "fixture versions")

    earlier = [o for o in olds if o.version <= known]
    for o in earlier:
        o.fill()
    first = [o for o in olds if o.name.endswith("_d4e51c6")][0]   # release 0.1.0's

    with t.claim("before the upgrade, the CGI program refuses the database of %s and its "
                 "log names %s" % (first.name, MIGRATE_HINT)):
        r = cgi_reset(f, first.config, first.code, strong_password("Early"))
        expect(r.status >= 500, "status %d" % r.status)
        expect(MIGRATE_HINT in r.stderr.decode("utf-8", "replace"), "stderr %r" % r.stderr[-400:])
        expect(first.sql("SELECT used_at FROM reset_codes")[0][0] is None, "the code was used")

    with t.claim("before the upgrade, the responder's supervisor stops with a nonzero status, "
                 "naming %s" % MIGRATE_HINT):
        d = make_tempdir("ar-mig-")
        cmd = [f.responder, "--config", first.config, "--listen",
               "unix:" + os.path.join(d, "r.sock"), "--workers", "2"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=_base_env(), timeout=scaled(60))
        err = p.stderr.decode("utf-8", "replace")
        expect(p.returncode != 0, "exit status 0")
        expect(MIGRATE_HINT in err, "stderr %r" % err[-600:])

    with t.claim("before the upgrade, the mailer refuses to start, naming %s" % MIGRATE_HINT):
        m = Mailer(f, config=first.config)
        r = m.run(timeout=scaled(60))
        expect(r.returncode != 0, "exit status 0")
        expect(MIGRATE_HINT in m.log_text(), "log %r" % m.log_text()[-400:])

    with t.claim("before the upgrade, the admin CLI's other commands refuse, naming %s"
                 % MIGRATE_HINT):
        r = f.admin("queue", config=first.config)
        expect(r.returncode != 0, "exit status 0")
        expect(MIGRATE_HINT in r.stderr, "stderr %r" % r.stderr)

    for o in earlier:
        before = o.snapshot()
        with t.claim("migrate from the schema at version %03d (%s) exits 0 and reports the "
                     "steps %03d to %03d" % (o.version, o.name, o.version + 1, known)):
            r = o.migrate()
            expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
            steps = re.findall(r"^step (\d{3}) ", r.stdout, re.M)
            expect_eq([int(s) for s in steps], list(range(o.version + 1, known + 1)),
                      "steps run (stdout %r)" % r.stdout)

        with t.claim("after migrate from %03d the tables are today's schema.sql's, "
                     "SHOW CREATE TABLE alike" % o.version):
            expect_eq(tables(f.db, o.name), sorted(TABLES_TODAY), "tables")
            for tb in TABLES_TODAY:
                expect_eq(create_table(f.db, o.name, tb), today[tb], "table %s" % tb)
            expect_eq(o.sql("SELECT MAX(version) FROM schema_version")[0][0], str(known),
                      "schema_version")

        with t.claim("after migrate from %03d every user, code, token and queue row is "
                     "still there, unchanged" % o.version):
            after = o.snapshot(before)
            for tb, rows in before.items():
                expect_eq(after.get(tb), rows, "rows of %s" % tb)

        with t.claim("migrate from %03d run a second time does nothing and says so"
                     % o.version):
            before2 = o.snapshot()
            r = o.migrate()
            expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
            expect("up to date" in r.stdout and "step" not in r.stdout, "stdout %r" % r.stdout)
            expect_eq(o.snapshot(), before2, "rows")

        with t.claim("after migrate from %03d the code issued before it resets the password"
                     % o.version):
            pw = strong_password("Upg")
            f.note_secret(pw)
            r = cgi_reset(f, o.config, o.code, pw)
            expect_eq(r.status, 200, "status (%s)" % r.summary())

    with t.claim("a migrate cut short (step 004 done but not recorded, step 005 half "
                 "done) is finished by the next: every step runs again without error"):
        cut = OldDatabase(f, 3, "cutshort", [o for o in olds if o.name.endswith("_ea4c925")][0]
                          .path)
        cut.fill()
        before = cut.snapshot()
        cut.sql("CREATE TABLE schema_version (version INT UNSIGNED NOT NULL, topic "
                "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, applied_at "
                "DATETIME(6) NOT NULL, PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT "
                "CHARSET=ascii; INSERT INTO schema_version VALUES (3, 'mail-queue', "
                "UTC_TIMESTAMP(6)); ALTER TABLE mail_queue DROP INDEX mail_queue_lease, "
                "DROP INDEX mail_queue_address; CREATE TABLE attempt_failures ("
                "client_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
                "window_start BIGINT UNSIGNED NOT NULL, writer BIGINT UNSIGNED NOT NULL, "
                "failures INT UNSIGNED NOT NULL, PRIMARY KEY (client_key, window_start, "
                "writer), KEY attempt_failures_age (window_start)) ENGINE=InnoDB "
                "DEFAULT CHARSET=ascii")
        r = cut.migrate()
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect_eq(re.findall(r"^step (\d{3}) ", r.stdout, re.M),
                  ["%03d" % v for v in range(4, known + 1)], "steps")
        expect_eq(tables(f.db, cut.name), sorted(TABLES_TODAY), "tables")
        for tb in TABLES_TODAY:
            expect_eq(create_table(f.db, cut.name, tb), today[tb], "table %s" % tb)
        after = cut.snapshot(before)
        for tb, rows in before.items():
            expect_eq(after.get(tb), rows, "rows of %s" % tb)

    with t.claim("a schema newer than the programs' is refused by the CGI program, and "
                 "migrate leaves it alone"):
        o = earlier[-1]  # migrated to the current version above
        o.sql("INSERT INTO schema_version VALUES (%d, 'from-the-future', UTC_TIMESTAMP(6))"
              % (known + 1))
        r = cgi_reset(f, o.config, "no-such-code-" + os.urandom(8).hex(), strong_password())
        expect(r.status >= 500, "status %d" % r.status)
        expect(b"newer than this program" in r.stderr, "stderr %r" % r.stderr[-400:])
        r = o.migrate()
        expect_eq(r.returncode, 1, "exit status (stderr %r)" % r.stderr)
        expect("newer" in r.stderr, "stderr %r" % r.stderr)

    with t.claim("migrate on a database without an account-reset schema exits 1 and "
                 "creates nothing"):
        f.db.sql("CREATE DATABASE m_empty", database=None)
        opt = f.write_option_file(os.path.join(f.etc, "my-empty.cnf"), database="m_empty")
        cfg = f.write_config("empty.conf", mysql_option_file=opt)
        r = f.admin("migrate", config=cfg)
        expect_eq(r.returncode, 1, "exit status (stderr %r)" % r.stderr)
        expect("schema.sql" in r.stderr, "stderr %r" % r.stderr)
        expect_eq(tables(f.db, "m_empty"), [], "tables")

    with t.claim("a database loaded from today's schema.sql is up to date for migrate"):
        r = f.admin("migrate")
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect("schema version %d: up to date" % known in r.stdout, "stdout %r" % r.stdout)

    t.done()


if __name__ == "__main__":
    main()
