#!/usr/bin/env python3
"""test_mailer.py: account-reset-mailer against a real MariaDB and a real
SMTP server (scripts/mail-sink on aiosmtpd, STARTTLS with a throwaway
certificate and AUTH required).  The mails are read back from the server
and parsed with Python's email package; their codes are used to reset.

Claims: delivery to the stored address (case-insensitive match), the
message's form, the code stored only as its digest and working once; no
mail to an unknown address (and the optional notice); the per-account
caps; the SMTP server down then up (delivered later, nothing lost); a 5xx
given up and logged; 4xx retried up to mailer_max_attempts; two mailers at
once mail each request once; a mailer killed mid-send loses nothing (the
lease runs out and the other sends it); a hostile address in the queue is
never sent; a non-ASCII template; retention; SIGTERM lets the message in
flight finish; SIGHUP reloads; the start-up refusals (credentials others
can read, plain text to a remote relay); admin queue and requeue; and
the code in no log of the mailer."""

import hashlib
import os
import re
import signal
import subprocess
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_error, expect_token,
                     strong_password, wait_for)
from smtpd import (MailSink, Mailer, code_of, mail_settings, make_due, queue_rows)

PATH = "/api/v2/account/recover/"
ENV = {"DOCUMENT_URI": PATH, "REQUEST_URI": PATH, "SCRIPT_NAME": PATH}
_addr = [0]
BACKOFF = 30


def recover(f, email, locale=None, addr=None):
    """One accepted recover request from its own client address (or addr)."""
    _addr[0] += 1
    env = dict(ENV, REMOTE_ADDR=addr or "10.%d.%d.1" % (_addr[0] // 250, _addr[0] % 250))
    payload = {"email": email}
    if locale:
        payload["locale"] = locale
    r = f.cgi(payload, env=env)
    expect(r.status == 202, "recover answered %s" % r.summary())
    return r


def reset_with(f, code):
    return f.cgi({"validation_code": code, "password": strong_password("Mailed")})


def to_of(msg):
    return str(msg["To"])


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f)
    f.settings.update(mail_settings(sink, recover_account_interval=0,
                                    recover_account_daily_limit=1000,
                                    mailer_backoff=BACKOFF))
    t.setup(f.setup)
    t.setup(sink.start)
    mailer = Mailer(f)

    def token_ok(r):
        return expect_token(r, f.settings["client_id"], f.settings["scope"],
                            f.settings["access_token_lifetime"])

    email, _ = t.setup(f.create_user)

    with t.claim("a request for a known address, typed in upper case, is mailed to the "
                 "stored address over STARTTLS with AUTH"):
        recover(f, email.upper())
        r = mailer.run()
        expect_eq(r.returncode, 0, "mailer exit status")
        msgs = sink.messages()
        expect_eq(len(msgs), 1, "messages")
        env, raw, msg = msgs[0]
        expect_eq(env["rcpt_tos"], [email], "envelope recipient")
        expect_eq(to_of(msg), email, "To")
        expect_eq(env["mail_from"], "noreply@example.test", "envelope sender")
        expect("tls=True auth=True" in sink.log_text(), sink.log_text())
        expect_eq(queue_rows(f)[0]["state"], "sent", "state")
        expect_eq(queue_rows(f)[0]["smtp_status"], "250", "smtp_status")

    with t.claim("the message: CRLF lines, Date, Message-ID, MIME-Version, text/plain "
                 "UTF-8 quoted-printable, Auto-Submitted, no code in the subject"):
        expect(b"\n" not in raw.replace(b"\r\n", b""), "a bare LF")
        for h in ("Date", "Message-ID", "MIME-Version", "Subject", "From"):
            expect(msg[h], "no %s" % h)
        expect_eq(msg.get_content_type(), "text/plain", "type")
        expect_eq(msg.get_content_charset(), "utf-8", "charset")
        expect_eq(msg["Content-Transfer-Encoding"], "quoted-printable", "CTE")
        expect_eq(msg["Auto-Submitted"], "auto-generated", "Auto-Submitted")
        code = code_of(f, msg)
        expect(code not in str(msg["Subject"]), "the code is in the subject")
        body = msg.get_content()
        expect("https://app.example.test/reset#code=" + code in body, "the link")
        expect(re.search(r"^%s\s*$" % re.escape(code), body, re.M),
               "the code on its own line")
        expect("60 minutes" in body, "minutes")

    with t.claim("only the code's SHA-256 is stored; the queue holds no code"):
        digest = hashlib.sha256(code.encode()).hexdigest()
        expect_eq(f.db.sql_value("SELECT COUNT(*) FROM reset_codes WHERE code_sha256 = '%s'"
                                 % digest), "1", "digest rows")
        dump = "\n".join("\t".join(str(c) for c in row)
                         for table in ("mail_queue", "reset_codes")
                         for row in f.db.sql("SELECT * FROM " + table))
        expect(code not in dump, "the code is in the database")

    with t.claim("the mailed code resets the password once; the second use is refused"):
        token_ok(reset_with(f, code))
        expect_error(reset_with(f, code), 400, "invalid_validation_code")

    with t.claim("an unknown address gets no mail; the row is 'unknown'"):
        n = len(sink.files())
        recover(f, "nobody@example.test")
        mailer.run()
        expect_eq(len(sink.files()), n, "messages")
        expect_eq(queue_rows(f)[-1]["state"], "unknown", "state")

    with t.claim("a non-ASCII template (locale de): RFC 2047 subject, UTF-8 body"):
        n = len(sink.files())
        recover(f, email, locale="de-AT")
        mailer.run()
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        env, raw, msg = msgs[-1]
        expect(b"\r\nSubject: =?UTF-8?B?" in raw, "encoded subject in %r" % raw[:400])
        expect_eq(str(msg["Subject"]), "Passwort zur\u00fccksetzen", "decoded subject")
        body = msg.get_content()
        expect("\u00d6ffnen Sie diesen Link" in body, "German body: %r" % body[:200])
        token_ok(reset_with(f, code_of(f, msg)))

    with t.claim("a hostile address written into the queue past the endpoint is never "
                 "sent: the row fails"):
        n = len(sink.files())
        f.db.sql("INSERT INTO mail_queue (request_id, client_key, email, locale, created_at, "
                 "enqueued_at, due_at) VALUES ('hostile', '', '%s\\r\\nBcc: victim@example.org',"
                 " '', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))" % email)
        mailer.run()
        expect_eq(len(sink.files()), n, "messages")
        expect_eq(queue_rows(f, "request_id = 'hostile'")[0]["state"], "failed", "state")

    with t.claim("the SMTP server down: the request stays queued (retry logged); up "
                 "again: it is delivered, nothing lost"):
        sink.stop()
        recover(f, email)
        r = mailer.run()
        expect_eq(r.returncode, 0, "exit status")
        row = queue_rows(f)[-1]
        expect_eq((row["state"], row["attempts"]), ("queued", "1"), "state, attempts")
        expect(re.search(r"queue_id=%s attempt=1 state=retry" % row["id"], mailer.log_text()),
               "no retry line")
        sink.start()
        n = len(sink.files())
        make_due(f)
        mailer.run()
        expect_eq(len(sink.files()), n + 1, "messages")
        row = queue_rows(f, "id = %s" % row["id"])[0]
        expect_eq((row["state"], row["attempts"]), ("sent", "2"), "state, attempts")
        token_ok(reset_with(f, code_of(f, sink.messages()[-1][2])))

    with t.claim("the undelivered attempt's code was ended"):
        expect_eq(f.db.sql_value(
            "SELECT COUNT(*) FROM reset_codes c JOIN mail_queue q ON q.user_id = c.user_id "
            "WHERE q.id = %s AND c.used_at IS NULL" % row["id"]), "0", "open codes")

    with t.claim("SMTP 5xx: given up at once, state failed with smtp_status 550, logged, "
                 "its code ended"):
        sink.restart(reject=550)
        recover(f, email)
        mailer.run()
        row = queue_rows(f)[-1]
        expect_eq((row["state"], row["smtp_status"], row["attempts"]), ("failed", "550", "1"),
                  "state, smtp_status, attempts")
        expect(re.search(r"queue_id=%s attempt=1 state=failed smtp_status=550" % row["id"],
                         mailer.log_text()), "no failed line")
        expect_eq(f.db.sql_value("SELECT used_at IS NOT NULL FROM reset_codes WHERE id = %s"
                                 % row["code_id"]), "1", "code ended")

    with t.claim("SMTP 4xx: retried with backoff, given up after mailer_max_attempts"):
        sink.restart(reject=451)
        recover(f, email)
        for _ in range(5):
            mailer.run()
            make_due(f)
        row = queue_rows(f)[-1]
        expect_eq((row["state"], row["smtp_status"], row["attempts"]), ("failed", "451", "5"),
                  "state, smtp_status, attempts")
        delays = [int(d) for d in re.findall(r"queue_id=%s attempt=\d state=retry "
                                             r"smtp_status=451 retry_in=(\d+)" % row["id"],
                                             mailer.log_text())]
        expect_eq(len(delays), 4, "retries logged")
        expect(all(BACKOFF * 2 ** i // 2 <= d <= BACKOFF * 2 ** i
                   for i, d in enumerate(delays)),
               "delays %r not within the doubling backoff with jitter" % delays)
        sink.restart(reject=None)

    with t.claim("admin queue counts rows by state; requeue puts a failed row back and "
                 "it is then delivered"):
        r = f.admin("queue")
        expect_eq(r.returncode, 0, "exit status: %s" % r.stderr)
        for state in ("queued", "sent", "unknown", "failed"):
            want = f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE state = '%s'" % state)
            expect(re.search(r"^%s\s+%s\b" % (state, want), r.stdout, re.M),
                   "%s: want %s in %s" % (state, want, r.stdout))
        n = len(sink.files())
        r = f.admin("requeue", row["id"])
        expect_eq(r.returncode, 0, "requeue: %s" % r.stderr)
        expect_eq(f.admin("requeue", row["id"]).returncode, 1, "a queued row again")
        expect_eq(f.admin("requeue", "999999").returncode, 1, "no such row")
        mailer.run()
        expect_eq(len(sink.files()), n + 1, "messages")
        expect_eq(queue_rows(f, "id = %s" % row["id"])[0]["state"], "sent", "state")

    with t.claim("no log line of the mailer holds a code or an address"):
        text = mailer.log_text()
        for _env, _raw, m in sink.messages():
            expect(code_of(f, m) not in text, "a code is in the mailer log")
        expect(email not in text and email.upper() not in text, "an address is in the log")

    # --- per-account caps, with the default interval
    capf = Fixture(iterations=1000)
    capsink = MailSink(capf, tls=False, auth=False)
    capf.settings.update(mail_settings(capsink, recover_account_interval=60,
                                       recover_account_daily_limit=3,
                                       recover_account_daily_ceiling=5))
    t.setup(capf.setup)
    t.setup(capsink.start)
    capmailer = Mailer(capf)
    cemail, _ = t.setup(capf.create_user)

    with t.claim("per-account interval, per client: three requests at once from one "
                 "client give one mail; the others are suppressed, silently (every "
                 "answer was 202)"):
        for _ in range(3):
            recover(capf, cemail, addr="192.0.2.77")
        capmailer.run()
        expect_eq(len(capsink.files()), 1, "messages")
        expect_eq([r["state"] for r in queue_rows(capf)], ["sent", "suppressed", "suppressed"],
                  "states")

    with t.claim("per-account daily limit, per client: with the interval passed, one "
                 "client's mails stop at recover_account_daily_limit in 24 hours"):
        for _ in range(4):
            capf.db.sql("UPDATE mail_queue SET reserved_at = reserved_at - INTERVAL 61 SECOND")
            recover(capf, cemail, addr="192.0.2.77")
            capmailer.run()
        expect_eq(len(capsink.files()), 3, "messages")
        expect_eq([r["state"] for r in queue_rows(capf)][3:],
                  ["sent", "sent", "suppressed", "suppressed"], "states")

    with t.claim("another client still gets the account mailed, up to "
                 "recover_account_daily_ceiling mails to it in 24 hours whoever asked"):
        for addr in ("192.0.2.78", "192.0.2.79", "192.0.2.80"):
            recover(capf, cemail, addr=addr)
            capmailer.run()
        expect_eq(len(capsink.files()), 5, "messages")
        expect_eq([r["state"] for r in queue_rows(capf)][7:],
                  ["sent", "sent", "suppressed"], "states")

    with t.claim("notify_unknown_recipients on: an unknown address gets the short notice, "
                 "with no code and no link, capped like an account"):
        capf.write_config(notify_unknown_recipients="on")
        n = len(capsink.files())
        recover(capf, "stranger@example.test")
        recover(capf, "stranger@example.test")
        capmailer.run()
        msgs = capsink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        env, raw, msg = msgs[-1]
        expect_eq(env["rcpt_tos"], ["stranger@example.test"], "recipient")
        body = msg.get_content()
        expect("no account" in body and "#code=" not in body, body)
        expect_eq([r["state"] for r in queue_rows(capf)][-2:], ["sent", "suppressed"], "states")
        capf.write_config()

    with t.claim("retention: rows older than recover_retention lose their address and "
                 "client key"):
        capf.db.sql("UPDATE mail_queue SET created_at = created_at - INTERVAL 8 DAY "
                    "WHERE id <= 2")
        capmailer.run()
        rows = queue_rows(capf)
        expect_eq([(r["email"], r["client_key"]) for r in rows[:2]], [("", "")] * 2, "wiped")
        expect(all(r["email"] for r in rows[2:]), "younger rows kept their address")

    # --- several mailers, leases
    many = Fixture(iterations=1000)
    msink = MailSink(many, tls=False, auth=False)
    many.settings.update(mail_settings(msink, recover_account_interval=0,
                                       recover_account_daily_limit=1000,
                                       smtp_connect_timeout=2, smtp_timeout=10,
                                       db_read_timeout=2))
    t.setup(many.setup)
    t.setup(msink.start)
    users = [many.create_user()[0] for _ in range(16)]

    with t.claim("two mailers at once: every request is mailed exactly once"):
        a, b = Mailer(many).start(), Mailer(many).start()
        for u in users:
            recover(many, u)
        msgs = msink.wait_for(len(users), timeout=60)
        time.sleep(1.5)  # a duplicate would arrive by now
        a.stop()
        b.stop()
        got = sorted(e["rcpt_tos"][0] for e, _, _ in msink.messages())
        expect_eq(got, sorted(users), "recipients")
        expect_eq({r["state"] for r in queue_rows(many)}, {"sent"}, "states")
        worked = [len(re.findall(r"state=sent", m.log_text())) for m in (a, b)]
        t.diag("mails sent by each mailer: %r" % worked)

    with t.claim("SIGTERM lets the message in flight finish: the mailer sends it, "
                 "records it and exits 0"):
        msink.restart(data_delay=1.0)
        d = Mailer(many).start()
        n = len(msink.files())
        recover(many, users[0])
        wait_for(lambda: many.db.sql_value(
            "SELECT COUNT(*) FROM mail_queue WHERE reserved_at IS NOT NULL AND "
            "lease_token IS NOT NULL") != "0", 20)
        expect(many.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE reserved_at IS NOT "
                                 "NULL AND lease_token IS NOT NULL") == "1",
               "no mail under way: %s" % d.log_text())
        d.signal(signal.SIGTERM)
        expect_eq(d.stop(), 0, "exit status")
        expect_eq(len(msink.files()), n + 1, "messages (log: %s)" % d.log_text()[-600:])
        expect_eq(queue_rows(many)[-1]["state"], "sent", "state")

    with t.claim("a mailer killed mid-send loses nothing: once its lease runs out, "
                 "another mailer sends the request"):
        msink.restart(data_delay=30)
        k = Mailer(many).start()
        recover(many, users[1])
        qid = queue_rows(many)[-1]["id"]
        wait_for(lambda: many.db.sql_value(
            "SELECT reserved_at IS NULL FROM mail_queue WHERE id = %s" % qid) != "1", 20)
        k.kill()
        n = len(msink.files())
        msink.restart(data_delay=0)
        lease = int(many.db.sql_value(
            "SELECT CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), due_at) / 1e6) "
            "FROM mail_queue WHERE id = %s" % qid))
        expect(lease > 0, "the row is still leased")
        Mailer(many).run()
        expect_eq(len(msink.files()), n, "sent before the lease ran out")
        time.sleep(lease + 0.5)
        Mailer(many).run()
        expect_eq(len(msink.files()), n + 1, "messages after the lease")
        row = queue_rows(many, "id = %s" % qid)[0]
        expect_eq((row["state"], row["attempts"]), ("sent", "2"), "state, attempts")
        token_ok(many.cgi({"validation_code": code_of(many, msink.messages()[-1][2]),
                           "password": strong_password("Lease")}))

    with t.claim("SIGHUP reloads: a new mail_from is used for the next mail"):
        d = Mailer(many).start()
        expect(d.wait_log(r"serving the queue"), d.log_text())
        many.write_config(mail_from="changed@example.test")
        d.signal(signal.SIGHUP)
        expect(d.wait_log(r"configuration reloaded"), d.log_text())
        n = len(msink.files())
        recover(many, users[2])
        msgs = msink.wait_for(n + 1)
        expect_eq(msgs[-1][0]["mail_from"], "changed@example.test", "sender")
        many.write_config(smtp_url="smtp://192.0.2.1:25", smtp_require_tls="off")
        d.signal(signal.SIGHUP)
        expect(d.wait_log(r"reload refused.*smtp_require_tls"), d.log_text())
        expect(d.alive(), "the mailer stopped on a bad reload")
        expect_eq(d.stop(), 0, "exit status")
        many.write_config()

    with t.claim("start-up refusals: a credentials file its group can read; plain text "
                 "to a relay not on loopback; STARTTLS not offered"):
        cred = sink.credentials_file()
        os.chmod(cred, 0o640)
        path = f.write_config("bad-cred.conf", smtp_credentials_file=cred)
        r = Mailer(f, config=path).run()
        expect(r.returncode == 1, "exit status %d" % r.returncode)
        path = f.write_config("plain.conf", smtp_url="smtp://192.0.2.1:25",
                              smtp_require_tls="off")
        p = Mailer(f, config=path)
        expect_eq(p.run().returncode, 1, "exit status")
        expect("smtp_require_tls" in p.log_text(), p.log_text())
        # msink offers no STARTTLS: with TLS required nothing is sent.
        path = many.write_config("tls.conf", smtp_require_tls="on")
        n = len(msink.files())
        recover(many, users[3])
        p = Mailer(many, config=path)
        p.run()
        expect_eq(len(msink.files()), n, "sent without TLS")
        expect(re.search(r"state=retry", p.log_text()), p.log_text())
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
