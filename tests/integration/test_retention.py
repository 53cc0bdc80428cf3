#!/usr/bin/env python3
"""test_retention.py: retention against a real MariaDB.

account-reset-admin purge deletes used and expired codes, expired and
revoked tokens and finished mail_queue rows past retention_codes,
retention_tokens and retention_mail_queue, and nothing else: open codes,
live tokens, queued rows and everything younger stay.  It works in
batches of purge_batch rows until none is left; 0 keeps a table's rows
for ever; a retention below a table's floor (an hour; two days for the
queue, whose caps count a day of rows) is raised to it.  The mailer's
loop purges too, and counts the rows in account_reset_mailer_purged_rows_total.
"""

import re
import urllib.request

from harness import TAP, Fixture, expect, expect_eq, scaled, wait_for
from smtpd import Mailer, mail_settings
from webservers import free_port

HOUR = 3600
DAY = 86400


def ago(seconds):
    return "UTC_TIMESTAMP(6) - INTERVAL %d SECOND" % seconds


def later(seconds):
    return "UTC_TIMESTAMP(6) + INTERVAL %d SECOND" % seconds


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, retention_codes=HOUR,
                                retention_tokens=HOUR, retention_mail_queue=2 * DAY,
                                purge_batch=10).setup())
    email, _ = f.create_user()
    uid = f.user_id(email)
    serial = [0]

    def code(created, expires, used=None):
        serial[0] += 1
        return f.db.sql("INSERT INTO reset_codes (user_id, code_sha256, created_at, expires_at, "
                 "used_at) VALUES (%s, SHA2('c%d', 256), %s, %s, %s)"
                 "; SELECT LAST_INSERT_ID()"
                 % (uid, serial[0], created, expires, used or "NULL"))[0][0]

    def token(refresh_expires, revoked=None):
        serial[0] += 1
        return f.db.sql("INSERT INTO tokens (user_id, access_sha256, refresh_sha256, client_id, "
                 "scope, created_at, access_expires_at, refresh_expires_at, revoked_at) "
                 "VALUES (%s, SHA2('a%d', 256), SHA2('r%d', 256), 'c', 's', %s, %s, %s, %s)"
                 "; SELECT LAST_INSERT_ID()"
                 % (uid, serial[0], serial[0], ago(40 * DAY), ago(39 * DAY),
                    refresh_expires, revoked or "NULL"))[0][0]

    def queue_row(state, created, finished=None):
        serial[0] += 1
        return f.db.sql("INSERT INTO mail_queue (request_id, client_key, email, created_at, "
                 "enqueued_at, state, due_at, finished_at) VALUES ('q%d', '10.0.0.1', NULL, "
                 "%s, %s, '%s', %s, %s); SELECT LAST_INSERT_ID()"
                 % (serial[0], created, created, state, created, finished or "NULL"))[0][0]

    def ids(table):
        return set(r[0] for r in f.db.sql("SELECT id FROM %s" % table))

    gone, kept = {}, {}
    gone["reset_codes"] = {code(ago(3 * HOUR), ago(2 * HOUR)),                 # expired
                           code(ago(3 * HOUR), later(HOUR), ago(2 * HOUR))}    # used long ago
    kept["reset_codes"] = {code(ago(2 * HOUR), ago(10 * 60)),                  # expired lately
                           code(ago(HOUR), later(HOUR), ago(10 * 60)),         # used lately
                           code(ago(300 * DAY), later(30 * DAY)),              # open, long --ttl
                           code("UTC_TIMESTAMP(6)", later(HOUR))}              # open
    gone["tokens"] = {token(ago(2 * HOUR)), token(later(DAY), ago(2 * HOUR))}
    kept["tokens"] = {token(later(DAY)), token(later(DAY), ago(10 * 60)), token(ago(10 * 60))}
    gone["mail_queue"] = {queue_row("sent", ago(3 * DAY), ago(3 * DAY)),
                          queue_row("expired", ago(5 * DAY))}
    kept["mail_queue"] = {queue_row("queued", ago(3 * DAY)),
                          queue_row("sent", ago(DAY), ago(DAY)),
                          queue_row("failed", ago(3 * DAY), ago(DAY))}

    with t.claim("purge deletes exactly the rows past retention in each table, says how "
                 "many, and exits 0"):
        r = f.admin("purge")
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        for table in ("reset_codes", "tokens", "mail_queue"):
            expect(re.search(r"^%s\s+%d rows deleted" % (table, len(gone[table])), r.stdout,
                             re.M), "stdout %r" % r.stdout)
            left = ids(table)
            expect(not (left & gone[table]), "%s: left %r" % (table, left & gone[table]))
            expect(kept[table] <= left, "%s: deleted %r" % (table, kept[table] - left))

    with t.claim("a second purge finds nothing more"):
        r = f.admin("purge")
        expect_eq(r.returncode, 0, "exit status")
        expect_eq(len(re.findall(r" 0 rows deleted", r.stdout)), 3, "stdout %r" % r.stdout)

    with t.claim("35 rows past retention with purge_batch 10: all go, in batches"):
        many = {code(ago(3 * HOUR), ago(2 * HOUR)) for _ in range(35)}
        r = f.admin("purge")
        expect(re.search(r"^reset_codes\s+35 rows deleted", r.stdout, re.M),
               "stdout %r" % r.stdout)
        expect(not (ids("reset_codes") & many), "rows left")

    with t.claim("a retention of 0 keeps a table's rows for ever"):
        old = code(ago(3 * HOUR), ago(2 * HOUR))
        cfg = f.write_config("keep.conf", retention_codes=0)
        r = f.admin("purge", config=cfg)
        expect_eq(r.returncode, 0, "exit status")
        expect(re.search(r"^reset_codes\s+kept", r.stdout, re.M), "stdout %r" % r.stdout)
        expect(old in ids("reset_codes"), "deleted")

    with t.claim("a retention below the floor is raised to it: queue rows of a day stay "
                 "with retention_mail_queue = 60"):
        cfg = f.write_config("short.conf", retention_mail_queue=60)
        day_old = queue_row("sent", ago(DAY), ago(DAY))
        f.admin("purge", config=cfg)
        expect(day_old in ids("mail_queue"), "a day-old row was deleted")

    with t.claim("the mailer's loop purges too and counts the rows in "
                 "account_reset_mailer_purged_rows_total"):
        f.settings.update(mail_settings(smtp_url="smtp://127.0.0.1:9", smtp_require_tls="off"))
        f.write_config()
        more = {code(ago(3 * HOUR), ago(2 * HOUR)) for _ in range(3)}
        port = free_port()
        m = Mailer(f, args=Mailer(f).args + ["--metrics", "127.0.0.1:%d" % port])
        m.start()
        got = {}

        def purged():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=scaled(10)) as resp:
                    text = resp.read().decode()
            except OSError:
                return False
            mm = re.search(r'^account_reset_mailer_purged_rows_total\{table="reset_codes"\} '
                           r'(\d+)$', text, re.M)
            got["n"] = mm and int(mm.group(1))
            return got["n"] == 3
        wait_for(purged, timeout=scaled(30), step=0.2)
        m.stop()
        expect_eq(got.get("n"), 3, "purged_rows_total (log %r)" % m.log_text()[-300:])
        expect(not (ids("reset_codes") & more), "rows left")

    t.done()


if __name__ == "__main__":
    main()
