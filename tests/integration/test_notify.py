#!/usr/bin/env python3
"""test_notify.py: the "your password was changed" notice (issue 18),
against a real MariaDB, the real responder (CGI), account-reset-mailer
and the SMTP sink (scripts/mail-sink).  Each mail is parsed with Python's
email package.

Claims: a reset queues one notice in its own transaction and the mailer
sends it to the account's stored address; the notice's form (headers,
charset, encoding, lines) and content (UTC time, the configured zone, the
client key of the reset, the support and forgot-password URLs) and no
code, token or password in it; the locale of the recover request travels
with the code to the notice (de), an unknown one falls back to en; the
recover caps never suppress it and it counts for none of them; the key
turns it off; a reset killed with the database before its commit leaves
no notice (and no changed password); a mailer killed while sending it
delivers it later."""

import datetime
import re
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_token, scaled,
                     strong_password, wait_for)
from smtpd import (MailSink, Mailer, code_of, html_of, mail_form_problems, mail_settings,
                   queue_rows)

RECOVER = "/api/v2/account/recover/"
RENV = {"DOCUMENT_URI": RECOVER, "REQUEST_URI": RECOVER, "SCRIPT_NAME": RECOVER}
SUPPORT = "https://help.example.test/contact"
FORGOT = "https://app.example.test/forgot"
_addr = [0]


def recover(f, email, locale=None, remote="10.9.%d.%d"):
    _addr[0] += 1
    env = dict(RENV, REMOTE_ADDR=remote % (_addr[0] // 250, _addr[0] % 250)
               if "%" in remote else remote)
    payload = {"email": email}
    if locale:
        payload["locale"] = locale
    return f.cgi(payload, env=env)


def notices(f, where="1=1"):
    return f.db.sql("SELECT id, state, COALESCE(email, ''), locale, client_key, "
                    "COALESCE(user_id, ''), reserved_at IS NULL, request_id FROM mail_queue "
                    "WHERE kind = 'changed' AND %s ORDER BY id" % where)


def body_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f)
    f.settings.update(mail_settings(sink, recover_account_interval=0,
                                    recover_account_daily_limit=2,
                                    recover_limit=2, support_url=SUPPORT,
                                    forgot_url=FORGOT))
    t.setup(f.setup)
    t.setup(sink.start)
    mailer = Mailer(f)
    berlin = f.write_config(name="berlin.conf", notify_timezone="Europe/Berlin")

    def token_ok(r):
        return expect_token(r, f.settings["client_id"], f.settings["scope"],
                            f.settings["access_token_lifetime"])

    def mailed_code(email, locale=None, remote="10.9.%d.%d"):
        n = len(sink.files())
        expect_eq(recover(f, email, locale, remote).status, 202, "recover status")
        expect_eq(mailer.run().returncode, 0, "mailer exit status")
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        return code_of(f, msgs[-1][2])

    email, _ = t.setup(f.create_user)
    uid = f.user_id(email)

    with t.claim("a reset queues one notice in its transaction: kind 'changed', to the "
                 "account's stored address, with the reset's request id and client key, "
                 "counted by no cap (reserved_at NULL)"):
        code = mailed_code(email.upper())
        new = strong_password("Notice")
        r = f.cgi({"validation_code": code, "password": new},
                  env={"REMOTE_ADDR": "192.0.2.77", "HTTP_X_REQUEST_ID": "notice-req-1"})
        token_ok(r)
        access = r.json["token"]["access_token"]
        refresh = r.json["token"]["refresh_token"]
        rows = notices(f)
        expect_eq(len(rows), 1, "notice rows")
        _id, state, to, locale, client, user, unreserved, rid = rows[0]
        expect_eq((state, to, locale, client, user, unreserved, rid),
                  ("queued", email, "", "192.0.2.77", uid, "1", "notice-req-1"), "row")

    with t.claim("account-reset-mailer sends it to the stored address; the row is 'sent' "
                 "and the log line says kind=changed"):
        n = len(sink.files())
        before = time.time()
        bm = Mailer(f, config=berlin)
        r = bm.run()
        expect_eq(r.returncode, 0, "mailer exit status")
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        env, raw, msg = msgs[-1]
        expect_eq(env["rcpt_tos"], [email], "envelope recipient")
        expect_eq(str(msg["To"]), email, "To")
        expect_eq(notices(f)[0][1], "sent", "state")
        expect(re.search(r"state=sent .*kind=changed", bm.log_text()), bm.log_text())

    with t.claim("its form: CRLF lines of at most 998 octets, Date, Message-ID, "
                 "multipart/alternative of text/plain and text/html (UTF-8, "
                 "quoted-printable), Auto-Submitted, subject; the HTML part says the "
                 "same"):
        bad = mail_form_problems(msg, raw)
        expect(not bad, "; ".join(bad))
        expect_eq(str(msg["Subject"]), "Your password was changed", "subject")
        html = html_of(msg)
        expect("192.0.2.77" in html and 'href="%s"' % FORGOT in html and
               'href="%s"' % SUPPORT in html and " UTC" in html, html)

    with t.claim("it says when (UTC, and the same in notify_timezone Europe/Berlin), "
                 "from which network (the client key), and where to go if it was not "
                 "them (support_url, forgot_url)"):
        body = body_of(msg)
        m = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC", body)
        expect(m, "no UTC time in %r" % body)
        when = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        expect(abs(when - before) < scaled(120) + 60, "time %s, now %s" % (m.group(1),
                                                                          time.ctime()))
        expect(re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d CES?T \(\+0[12]00\)\)", body),
               "no Berlin time in %r" % body)
        expect("network 192.0.2.77" in body, body)
        expect(SUPPORT in body and FORGOT in body, body)

    with t.claim("the notice holds no code, no token and no password (raw message)"):
        for secret in (code, new, access, refresh):
            expect(secret not in raw.decode("ascii", "replace"), "a secret in the notice")
        expect("#code=" not in body, body)

    with t.claim("the recover request's locale travels with its code: de-AT gives the "
                 "German notice"):
        email, _ = f.create_user()
        code = mailed_code(email, locale="de-AT")
        expect_eq(f.db.sql_value("SELECT locale FROM reset_codes WHERE code_sha256 = "
                                 "SHA2('%s', 256)" % code), "de-at", "the code's locale")
        token_ok(f.cgi({"validation_code": code, "password": strong_password("De")},
                       env={"REMOTE_ADDR": "2001:db8:7:8:1:2:3:4"}))
        n = len(sink.files())
        mailer.run()
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        _, raw, msg = msgs[-1]
        expect_eq(str(msg["Subject"]), "Ihr Passwort wurde ge\u00e4ndert", "subject")
        expect(b"\r\nSubject: =?UTF-8?B?" in raw, "encoded subject")
        body = body_of(msg)
        expect("Netz 2001:db8:7:8::/64" in body, "the /64 in %r" % body)
        expect(re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC \(\+0000\)\)", body),
               "the default zone is UTC: %r" % body)

    with t.claim("an unknown locale (fr) falls back to the English notice"):
        email, _ = f.create_user()
        code = mailed_code(email, locale="fr")
        token_ok(f.cgi({"validation_code": code, "password": strong_password("Fr")}))
        n = len(sink.files())
        mailer.run()
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        expect_eq(str(msgs[-1][2]["Subject"]), "Your password was changed", "subject")
        expect("network" in body_of(msgs[-1][2]), "body")

    # recover_account_daily_limit = 2 and recover_limit = 2 per client.
    capped, _ = t.setup(f.create_user)

    with t.claim("the notice counts for no recover cap and none suppresses it: one "
                 "client's recover, its reset (notice sent), and a second recover of "
                 "the account from the same client are all mailed"):
        code = mailed_code(capped, remote="198.51.100.9")
        token_ok(f.cgi({"validation_code": code, "password": strong_password("Cap")},
                       env={"REMOTE_ADDR": "198.51.100.9"}))
        n = len(sink.files())
        mailer.run()
        expect_eq(len(sink.files()), n + 1, "the notice")
        mailed_code(capped, remote="198.51.100.9")   # 202 and mailed: not capped
        expect_eq(recover(f, capped, remote="198.51.100.9").status, 429,
                  "the third recover of the client (the cap still works)")

    with t.claim("...and with the account's daily cap used up, the notice after a reset "
                 "is still sent"):
        code = code_of(f, sink.messages()[-1][2])
        expect_eq(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE user_id = %s AND "
                                 "reserved_at IS NOT NULL" % f.user_id(capped)), "2",
                  "reserved mails: the daily cap (2) is used up")
        token_ok(f.cgi({"validation_code": code, "password": strong_password("Cap2")}))
        n = len(sink.files())
        mailer.run()
        expect_eq(len(sink.files()), n + 1, "the notice")
        expect_eq(notices(f, "user_id = %s" % f.user_id(capped))[-1][1], "sent", "state")

    with t.claim("notify_password_changed = off: a reset queues no notice"):
        off = f.write_config(name="off.conf", notify_password_changed="off")
        other, _ = f.create_user()
        code = f.issue_code(other)
        token_ok(f.cgi({"validation_code": code, "password": strong_password("Off")},
                       config=off))
        expect_eq(notices(f, "user_id = %s" % f.user_id(other)), [], "notice rows")

    with t.claim("the mailer refuses to start with the notice on and no en.changed.txt, "
                 "and with an unknown notify_timezone, naming the key"):
        import os
        import shutil
        tdir = os.path.join(f.base, "tpl-no-changed")
        os.mkdir(tdir)
        for n in ("en.txt", "en.unknown.txt"):
            shutil.copy(os.path.join(f.settings["mail_template_dir"], n), tdir)
        m = Mailer(f, config=f.write_config(name="nochg.conf", mail_template_dir=tdir))
        r = m.run()
        expect(r.returncode == 1 and "notify_password_changed" in m.log_text(),
               m.log_text())
        m = Mailer(f, config=f.write_config(name="tz.conf", notify_timezone="Mars/Olympus"))
        r = m.run()
        expect(r.returncode == 1 and "notify_timezone" in m.log_text(), m.log_text())

    # ---------------------------------------------------------------- faults
    victim, old = t.setup(f.create_user)

    with t.claim("the database killed inside the reset's transaction (after it queued "
                 "the notice, waiting for a token row): 503, and after recovery no "
                 "notice, the old password, the code unused; the mailer sends nothing"):
        code = f.issue_code(victim)
        tok = f.insert_token(victim)
        holder = f.db.hold_lock("SELECT id FROM tokens WHERE id = %s FOR UPDATE" % tok)
        waited, r = f.cgi_reset_killed_midway(code, strong_password("Kill"), holder)
        expect(waited, "the reset never waited inside its transaction")
        expect_eq(getattr(r, "status", None), 503, "status")
        expect_eq(notices(f, "user_id = %s" % f.user_id(victim)), [], "notice rows")
        expect_eq(f.check_password(victim, old), 0, "the old password")
        expect(f.code_used_at(code) is None, "the code was used")
        n = len(sink.files())
        mailer.run()
        expect_eq(len(sink.files()), n, "messages")

    with t.claim("a mailer killed while sending the notice: once its lease runs out "
                 "the notice is sent (at least once)"):
        token_ok(f.cgi({"validation_code": code, "password": strong_password("Late")}))
        qid = notices(f, "user_id = %s" % f.user_id(victim))[0][0]
        sink.restart(data_delay=60)
        k = Mailer(f).start()
        expect(wait_for(lambda: f.db.sql_value(
            "SELECT lease_token IS NOT NULL FROM mail_queue WHERE id = %s" % qid) == "1",
            20), "the mailer never took the notice")
        time.sleep(1.0)   # into the DATA exchange (the sink holds its answer)
        k.kill()
        n = len(sink.files())
        sink.restart(data_delay=0)
        expect_eq(f.db.sql_value("SELECT state FROM mail_queue WHERE id = %s" % qid),
                  "queued", "state after the kill")
        # The lease running out, without waiting for it:
        f.db.sql("UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                 "WHERE id = %s" % qid)
        mailer.run()
        expect_eq(len(sink.files()), n + 1, "messages")
        expect_eq(sink.messages()[-1][0]["rcpt_tos"], [victim], "recipient")
        row = queue_rows(f, "id = %s" % qid)[0]
        expect_eq((row["state"], row["attempts"]), ("sent", "2"), "state, attempts")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
