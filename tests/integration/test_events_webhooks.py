#!/usr/bin/env python3
"""test_events_webhooks.py: the record of what happened (table events,
account-reset-admin events) and the webhooks to the site (issue 18),
against a real MariaDB, the responder (CGI), account-reset-mailer, the
SMTP sink and a real HTTP receiver started here that verifies the
Standard Webhooks signatures with its own code (tests/lib/
webhook_receiver.py).

Claims: a reset records password.reset and tokens.revoked in its own
transaction (request id, user id, client key, no secret) with their
outbox rows; the mailer delivers them signed (webhook-id, -timestamp,
-signature verified by the receiver) as JSON; a receiver that answers
500 then 200, one that is down then back, and one that never answers
(timeout) get the event later with the same webhook-id, and one that
never comes back is given up after webhook_max_attempts, counted and
logged; a receiver with another secret detects the forgery; a secret file
others may read and plain HTTP to a remote host are refused; the mailer
records recovery.requested and mail.sent, and an unknown address leaves
no event; admin actions are recorded with the OS user; events [EMAIL]
[--since] [--json] lists them; retention deletes old events in batches;
the database killed inside a reset leaves no event and no webhook."""

import json
import os
import pwd
import re
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_token, scaled,
                     strong_password, _write_private)
from smtpd import MailSink, Mailer, code_of, mail_settings, make_cert
from webhook_receiver import Receiver, new_secret

RECOVER = "/api/v2/account/recover/"
RENV = {"DOCUMENT_URI": RECOVER, "REQUEST_URI": RECOVER, "SCRIPT_NAME": RECOVER}
TIMEOUT = 2          # webhook_timeout
MAX_ATTEMPTS = 3     # webhook_max_attempts


def events(f, where="1=1"):
    rows = f.db.sql("SELECT id, type, request_id, COALESCE(user_id, ''), client_key, actor, "
                    "detail FROM events WHERE %s ORDER BY id" % where)
    keys = ("id", "type", "request_id", "user_id", "client_key", "actor", "detail")
    return [dict(zip(keys, r)) for r in rows]


def outbox(f, where="1=1"):
    rows = f.db.sql("SELECT o.id, o.event_id, o.state, o.attempts, COALESCE(o.http_status, ''), "
                    "e.type FROM webhook_outbox o JOIN events e ON e.id = o.event_id "
                    "WHERE %s ORDER BY o.id" % where)
    keys = ("id", "event_id", "state", "attempts", "http_status", "type")
    return [dict(zip(keys, r)) for r in rows]


def make_hooks_due(f):
    f.db.sql("UPDATE webhook_outbox SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
             "WHERE state = 'queued'")


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f)
    secret = new_secret()
    f.note_secret(secret)
    recv = Receiver(secret)
    secret_file = os.path.join(f.base, "webhook-secret")
    f.settings.update(mail_settings(sink, recover_account_interval=0,
                                    recover_account_daily_limit=100,
                                    notify_password_changed="off",
                                    webhook_url=recv.url, webhook_secret_file=secret_file,
                                    webhook_timeout=TIMEOUT,
                                    webhook_max_attempts=MAX_ATTEMPTS,
                                    webhook_backoff=30))
    t.setup(f.setup)
    _write_private(secret_file, secret + "\n")
    t.setup(sink.start)
    t.setup(recv.start)
    mailer = Mailer(f)
    me = pwd.getpwuid(os.getuid()).pw_name

    def token_ok(r):
        return expect_token(r, f.settings["client_id"], f.settings["scope"],
                            f.settings["access_token_lifetime"])

    def reset(email, tag, remote="192.0.2.10", rid=None, quiet=True):
        """A reset; quiet: the user's live tokens (the last reset's) are
        revoked first, so that it makes one webhook (password.reset)."""
        if quiet:
            f.db.sql("UPDATE tokens SET revoked_at = UTC_TIMESTAMP(6) WHERE user_id = %s "
                     "AND revoked_at IS NULL" % f.user_id(email))
        code = f.issue_code(email)
        env = {"REMOTE_ADDR": remote}
        if rid:
            env["HTTP_X_REQUEST_ID"] = rid
        r = f.cgi({"validation_code": code, "password": strong_password(tag)}, env=env)
        token_ok(r)
        return r

    email, _ = t.setup(f.create_user)
    uid = f.user_id(email)

    with t.claim("a reset records password.reset and tokens.revoked (count of the live "
                 "tokens) with its request id, user id and client key, and an outbox "
                 "row for each; no secret in the events"):
        f.insert_token(email)
        r = reset(email, "Ev", rid="hook-req-1", quiet=False)
        got = events(f, "request_id = 'hook-req-1'")
        expect_eq([(e["type"], e["user_id"], e["client_key"]) for e in got],
                  [("password.reset", uid, "192.0.2.10"),
                   ("tokens.revoked", uid, "192.0.2.10")], "events")
        expect_eq(got[1]["detail"], "count=1 reason=reset", "detail")
        expect_eq([(o["type"], o["state"]) for o in outbox(f)],
                  [("password.reset", "queued"), ("tokens.revoked", "queued")], "outbox")
        dump = "\n".join("\t".join(row) for row in f.db.sql("SELECT * FROM events"))
        expect(not f.leaks(dump), f.leak_report(dump))

    with t.claim("the mailer delivers both as JSON POSTs signed the Standard Webhooks "
                 "way; the receiver's own code verifies each signature"):
        expect_eq(mailer.run().returncode, 0, "mailer exit status")
        got = recv.got()
        expect_eq(len(got), 2, "deliveries")
        for d in got:
            expect(d["valid"], "signature %r did not verify" % d["signature"])
            expect_eq(d["content_type"], "application/json", "Content-Type")
            expect(re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", d["signature"] or ""),
                   d["signature"])
        types = [d["json"]["type"] for d in got]
        expect_eq(sorted(types), ["password.reset", "tokens.revoked"], "types")
        j = got[0]["json"]
        expect_eq(j["data"]["user_id"], int(uid), "user_id")
        expect_eq(j["data"]["request_id"], "hook-req-1", "request_id")
        expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", j["timestamp"]),
               j["timestamp"])
        expect_eq(got[0]["id"], "evt_%s" % j["data"]["event_id"], "webhook-id")
        expect_eq({o["state"] for o in outbox(f)}, {"delivered"}, "outbox states")
        expect(r.json["token"]["access_token"].encode() not in b"".join(
            d["body"] for d in got), "a token in a webhook")

    with t.claim("a receiver answering 500 gets it again after the backoff with the same "
                 "webhook-id, and 200 ends it (attempts 2)"):
        recv.mode = "fail"
        reset(email, "Fail")
        n = len(recv.got())
        mailer.run()
        first = recv.got()[n:]
        expect_eq(len(first), 1, "deliveries (no tokens were live: no tokens.revoked)")
        row = outbox(f)[-1]
        expect_eq((row["state"], row["attempts"], row["http_status"]),
                  ("queued", "1", "500"), "after the 500")
        expect(re.search(r"webhook id=%s .*state=retry http_status=500 retry_in=\d+"
                         % first[0]["id"], mailer.log_text()), mailer.log_text()[-800:])
        recv.mode = "ok"
        mailer.run()
        expect_eq(len(recv.got()), n + 1, "not before it is due")
        make_hooks_due(f)
        mailer.run()
        again = recv.got()[n + 1:]
        expect_eq([d["id"] for d in again], [first[0]["id"]], "the same webhook-id")
        expect(again[0]["valid"], "signature")
        row = outbox(f)[-1]
        expect_eq((row["state"], row["attempts"]), ("delivered", "2"), "state, attempts")

    with t.claim("a receiver that is down, then back on the same port, gets it"):
        recv.stop()
        reset(email, "Down")
        mailer.run()
        row = outbox(f)[-1]
        expect_eq((row["state"], row["attempts"]), ("queued", "1"), "while down")
        expect(re.search(r"state=retry http_status=0 .*detail=", mailer.log_text()),
               mailer.log_text()[-600:])
        recv.start()
        n = len(recv.got())
        make_hooks_due(f)
        mailer.run()
        expect_eq(len(recv.got()), n + 1, "deliveries")
        expect_eq(outbox(f)[-1]["state"], "delivered", "state")

    with t.claim("a receiver that never answers: each attempt ends after webhook_timeout "
                 "(%d s), and after webhook_max_attempts (%d) the row is given up, "
                 "counted and logged" % (TIMEOUT, MAX_ATTEMPTS)):
        recv.mode = "hang"
        recv.hang_seconds = TIMEOUT + 5
        reset(email, "Hang")
        for attempt in range(MAX_ATTEMPTS):
            started = time.monotonic()
            m = Mailer(f)
            m.run()
            took = time.monotonic() - started
            expect(took < TIMEOUT + scaled(15), "attempt %d took %.1f s" % (attempt + 1, took))
            make_hooks_due(f)
        row = outbox(f)[-1]
        expect_eq((row["state"], row["attempts"]), ("failed", str(MAX_ATTEMPTS)),
                  "state, attempts")
        log = m.log_text()
        expect(re.search(r"state=failed http_status=0 \(given up\) detail=.*[Tt]imeout", log),
               log[-800:])
        expect("webhooks 0 delivered, 0 retried, 1 given up" in log, log[-800:])
        recv.mode = "ok"

    with t.claim("a receiver holding another secret detects the forgery (401, "
                 "signature invalid)"):
        wrong = Receiver(new_secret()).start()
        conf = f.write_config(name="wrong.conf", webhook_url=wrong.url)
        reset(email, "Wrong")
        Mailer(f, config=conf).run()
        got = wrong.got()
        wrong.stop()
        expect_eq(len(got), 1, "deliveries")
        expect(not got[0]["valid"], "a signature under another secret verified")
        expect_eq(outbox(f)[-1]["http_status"], "401", "http_status")

    with t.claim("HTTPS: a receiver whose certificate the mailer cannot verify gets "
                 "nothing (retried); with webhook_ca_file naming its CA it gets the event"):
        cert, key = make_cert(f.base)
        tls = Receiver(secret, tls=(cert, key)).start()
        expect(tls.url.startswith("https://127.0.0.1:"), tls.url)
        conf = f.write_config(name="tls.conf", webhook_url=tls.url)
        reset(email, "Tls")
        want = "evt_%s" % outbox(f)[-1]["event_id"]
        m = Mailer(f, config=conf)
        m.run()
        expect_eq(len(tls.got()), 0, "deliveries without the CA")
        expect(re.search(r"state=retry http_status=0 .*detail=.*(SSL|certificate)",
                         m.log_text()), m.log_text()[-600:])
        make_hooks_due(f)
        Mailer(f, config=f.write_config(name="tls-ca.conf", webhook_url=tls.url,
                                        webhook_ca_file=cert)).run()
        got = tls.got()
        tls.stop()
        expect(want in [d["id"] for d in got] and all(d["valid"] for d in got),
               "deliveries with the CA: %r" % got)
        expect_eq(outbox(f)[-1]["state"], "delivered", "state")

    with t.claim("the mailer refuses a secret file its group may read, and a secret that "
                 "is not whsec_<base64>, naming the key; the config refuses plain HTTP "
                 "to a remote host"):
        loose = os.path.join(f.base, "loose-secret")
        with open(loose, "w") as fo:
            fo.write(secret + "\n")
        os.chmod(loose, 0o640)
        m = Mailer(f, config=f.write_config(name="loose.conf", webhook_secret_file=loose))
        expect_eq(m.run().returncode, 1, "exit status")
        expect("webhook_secret_file" in m.log_text() and "0640" in m.log_text(),
               m.log_text())
        bad = os.path.join(f.base, "bad-secret")
        _write_private(bad, "hunter2\n")
        m = Mailer(f, config=f.write_config(name="bad.conf", webhook_secret_file=bad))
        expect_eq(m.run().returncode, 1, "exit status")
        expect("webhook_secret_file" in m.log_text(), m.log_text())
        m = Mailer(f, config=f.write_config(name="remote.conf",
                                            webhook_url="http://example.com/hook"))
        expect_eq(m.run().returncode, 1, "exit status")
        expect("webhook_url" in m.log_text() and "https" in m.log_text(), m.log_text())
        expect(secret not in m.log_text(), "the secret in a log")

    with t.claim("the mailer records recovery.requested and mail.sent for an account; a "
                 "request for an unknown address leaves no event"):
        other, _ = f.create_user()
        before = events(f)[-1]["id"]
        r = f.cgi({"email": other}, env=dict(RENV, REMOTE_ADDR="198.51.100.4",
                                             HTTP_X_REQUEST_ID="rec-1"))
        expect_eq(r.status, 202, "recover")
        r = f.cgi({"email": "nobody-here@example.test"},
                  env=dict(RENV, REMOTE_ADDR="198.51.100.5", HTTP_X_REQUEST_ID="rec-2"))
        expect_eq(r.status, 202, "recover")
        mailer.run()
        got = events(f, "id > %s" % before)
        expect_eq([(e["type"], e["request_id"], e["user_id"], e["client_key"])
                   for e in got],
                  [("recovery.requested", "rec-1", f.user_id(other), "198.51.100.4"),
                   ("mail.sent", "rec-1", f.user_id(other), "198.51.100.4")], "events")
        expect(re.fullmatch(r"queue_id=\d+ kind=recover smtp_status=250", got[1]["detail"]),
               got[1]["detail"])
        code_of(f, sink.messages()[-1][2])   # noted as a secret for the log check

    with t.claim("admin actions are recorded with the OS user who ran them (%s); "
                 "revoke-tokens also records tokens.revoked for the site" % me):
        before = events(f)[-1]["id"]
        f.insert_token(other)
        expect_eq(f.admin("revoke-tokens", other).returncode, 0, "revoke-tokens")
        expect_eq(f.admin("clear-attempts", "203.0.113.9").returncode, 0, "clear-attempts")
        got = events(f, "id > %s" % before)
        expect_eq([(e["type"], e["user_id"], e["actor"], e["client_key"]) for e in got],
                  [("tokens.revoked", f.user_id(other), me, ""),
                   ("admin.revoke-tokens", f.user_id(other), me, ""),
                   ("admin.clear-attempts", "", me, "203.0.113.9")], "events")
        expect_eq(got[1]["detail"], "exit=0 count=1", "detail")
        expect_eq(outbox(f)[-1]["type"], "tokens.revoked", "the site is told")

    with t.claim("account-reset-admin events EMAIL lists the user's events oldest first; "
                 "--json is an array of objects; --since in the future lists none"):
        r = f.admin("events", other)
        expect_eq(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        expect_eq([l.split()[1] for l in lines],
                  ["admin.create-user", "recovery.requested", "mail.sent", "tokens.revoked",
                   "admin.revoke-tokens"], "types")
        expect("actor=%s" % me in lines[-1], lines[-1])
        r = f.admin("events", other, "--json")
        arr = json.loads(r.stdout)
        expect_eq([e["type"] for e in arr][:3],
                  ["admin.create-user", "recovery.requested", "mail.sent"], "json")
        expect_eq(arr[1]["user_id"], int(f.user_id(other)), "user_id")
        expect_eq(arr[1]["client_key"], "198.51.100.4", "client_key")
        expect_eq(arr[0]["actor"], me, "actor")
        r = f.admin("events", "--since", "2099-01-01")
        expect_eq((r.returncode, r.stdout), (0, ""), "--since 2099")
        r = f.admin("events", "--since", "1h", "--json")
        expect(len(json.loads(r.stdout)) >= 10, r.stdout[:300])

    with t.claim("events: a bad --since, an unknown user and --json on another command "
                 "are clear errors"):
        r = f.admin("events", "--since", "yesterday-ish")
        expect(r.returncode == 2 and "--since" in r.stderr, r.stderr)
        r = f.admin("events", "nobody-at-all@example.test")
        expect(r.returncode == 1 and "no such user" in r.stderr, r.stderr)
        r = f.admin("list-codes", other, "--json")
        expect(r.returncode == 2 and "--json" in r.stderr, r.stderr)

    with t.claim("retention_events: the mailer's sweep deletes older events (and finished "
                 "outbox rows) in batches, and keeps the recent"):
        f.db.sql("UPDATE events SET created_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY "
                 "WHERE id <= %s" % before)
        f.db.sql("UPDATE webhook_outbox SET created_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY "
                 "WHERE event_id <= %s" % before)
        old = int(f.db.sql_value("SELECT COUNT(*) FROM events WHERE id <= %s" % before))
        keep = int(f.db.sql_value("SELECT COUNT(*) FROM events WHERE id > %s" % before))
        m = Mailer(f, config=f.write_config(name="ret.conf", retention_events=2 * 86400))
        expect_eq(m.run().returncode, 0, "exit status")
        expect_eq(int(f.db.sql_value("SELECT COUNT(*) FROM events")), keep, "events left")
        expect_eq(f.db.sql_value("SELECT COUNT(*) FROM webhook_outbox WHERE "
                                 "event_id <= %s" % before), "0", "outbox rows left")
        expect(re.search(r"retention: deleted \d+ events and webhook rows", m.log_text()),
               m.log_text()[-400:])
        expect(old > 0, "nothing was old")

    victim, old_pw = t.setup(f.create_user)

    with t.claim("the database killed inside a reset's transaction (after it wrote its "
                 "event, its outbox row waiting on another session's): no event, no "
                 "webhook row, no change"):
        code = f.issue_code(victim)
        # Another session's open insert of an outbox row for the event id
        # the reset will take: the reset's own outbox insert waits for it.
        nxt = f.db.sql_value("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'events'")
        holder = f.db.hold_lock("INSERT INTO webhook_outbox (event_id, created_at, due_at) "
                                "VALUES (%s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))" % nxt)
        waited, r = f.cgi_reset_killed_midway(code, strong_password("Kill"), holder)
        expect(waited, "the reset never waited inside its transaction")
        expect_eq(getattr(r, "status", None), 503, "status")
        vid = f.user_id(victim)
        expect_eq(events(f, "user_id = %s AND type NOT LIKE 'admin.%%'" % vid), [], "events")
        expect_eq(outbox(f, "e.user_id = %s" % vid), [], "outbox")
        expect_eq(f.check_password(victim, old_pw), 0, "the old password")
        n = len(recv.got())
        mailer.run()
        expect_eq(len(recv.got()), n, "webhooks")

    recv.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
