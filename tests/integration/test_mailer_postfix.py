#!/usr/bin/env python3
"""test_mailer_postfix.py: account-reset-mailer against Debian's own
Postfix (issue 20, point 4), a private instance on loopback
(tests/lib/postfix.py), for each way an operator meets it:

  * plain: Postfix without TLS, smtp_require_tls = off: delivered;
  * Postfix offering STARTTLS with a certificate nobody can verify (what
    Debian's snakeoil certificate is), smtp_require_tls = off and no
    smtp_ca_file: delivered in plain text (off means plain; before, the
    mailer tried TLS, failed every message and logged smtp_status=220);
  * STARTTLS with a CA made by the test and smtp_ca_file naming it,
    smtp_require_tls = on: delivered over TLS (Postfix logs the TLS
    connection);
  * smtp_require_tls = on against the unverifiable certificate: retried,
    logged as a TLS failure, with no SMTP status (not 220);
  * a 4xx from Postfix: retried, smtp_status=451; a 5xx: failed, 550;
  * Postfix stopped: retried, nothing lost; started again: delivered.
"""

import re

from harness import TAP, Fixture, expect, expect_eq
from postfix import Postfix, available, make_ca, make_signed_cert
from smtpd import Mailer, mail_settings, make_due, queue_rows, make_cert

PATH = "/api/v2/account/recover/"
ENV = {"DOCUMENT_URI": PATH, "REQUEST_URI": PATH, "SCRIPT_NAME": PATH}
_addr = [0]


def recover(f, email):
    _addr[0] += 1
    env = dict(ENV, REMOTE_ADDR="10.9.%d.1" % _addr[0])
    r = f.cgi({"email": email}, env=env)
    expect(r.status == 202, "recover answered %s" % r.summary())


def main():
    t = TAP()
    why = available()
    if why:
        t.skip("the mailer against a private Debian Postfix", why)
        return t.done()
    f = Fixture(iterations=1000)
    f.settings.update(mail_settings(None, recover_account_interval=0,
                                    recover_account_daily_limit=1000))
    t.setup(f.setup)
    ok_user = t.setup(f.create_user, "ok@relay.example")[0]
    later_user = t.setup(f.create_user, "later@relay.example")[0]
    never_user = t.setup(f.create_user, "never@relay.example")[0]
    certs = f.base
    ca = t.setup(make_ca, certs)
    signed = t.setup(make_signed_cert, certs, ca)
    snakeoil = t.setup(make_cert, certs)
    pf = Postfix(reject={later_user: "451 4.3.0 try again later",
                         never_user: "550 5.1.1 no such user"})
    t.setup(pf.start)
    mailer = Mailer(f)

    def configure(**keys):
        f.settings.update(smtp_url="smtp://127.0.0.1:%d" % pf.port, smtp_ca_file="")
        f.settings.update(keys)
        f.write_config()

    def send_one(email):
        """One request for email, one --once run; its queue row."""
        recover(f, email)
        r = mailer.run()
        expect_eq(r.returncode, 0, "mailer exit status")
        return queue_rows(f)[-1]

    with t.claim("plain Postfix, smtp_require_tls = off: delivered (250)"):
        configure(smtp_require_tls="off")
        n = pf.delivered(ok_user)
        row = send_one(ok_user)
        expect_eq((row["state"], row["smtp_status"]), ("sent", "250"), "state, status")
        expect(wait_for_delivery(pf, ok_user, n + 1), pf.log_text()[-1500:])

    with t.claim("Postfix offering STARTTLS with a certificate nobody can verify "
                 "(snakeoil), smtp_require_tls = off, no smtp_ca_file: delivered in plain text"):
        pf.start(tls=snakeoil)
        configure(smtp_require_tls="off")
        n = pf.delivered(ok_user)
        row = send_one(ok_user)
        expect_eq((row["state"], row["smtp_status"]), ("sent", "250"), "state, status")
        expect(wait_for_delivery(pf, ok_user, n + 1), pf.log_text()[-1500:])
        expect("TLS failed" not in mailer.log_text(), mailer.log_text()[-800:])

    with t.claim("smtp_require_tls = on against that certificate: retried, logged as a "
                 "TLS failure with no SMTP status (not smtp_status=220)"):
        configure(smtp_require_tls="on")
        row = send_one(ok_user)
        expect_eq((row["state"], row["attempts"]), ("queued", "1"), "state, attempts")
        expect(row["smtp_status"] in ("", "0"), "smtp_status %r" % row["smtp_status"])
        line = [l for l in mailer.log_text().splitlines() if "queue_id=%s " % row["id"] in l]
        expect(line and re.search(r"state=retry smtp_status=0 .*detail=TLS failed: ", line[-1]),
               "log: %r" % line)
        expect("smtp_status=220" not in mailer.log_text(), mailer.log_text()[-800:])
        f.db.sql("UPDATE mail_queue SET state = 'failed' WHERE id = %s" % row["id"])

    with t.claim("STARTTLS with a certificate from the test's CA, smtp_ca_file naming the "
                 "CA, smtp_require_tls = on: delivered over TLS"):
        pf.start(tls=signed)
        configure(smtp_require_tls="on", smtp_ca_file=ca[0])
        n = pf.delivered(ok_user)
        row = send_one(ok_user)
        expect_eq((row["state"], row["smtp_status"]), ("sent", "250"), "state, status")
        expect(wait_for_delivery(pf, ok_user, n + 1), pf.log_text()[-1500:])
        expect(re.search(r"TLS connection established from localhost\[127\.0\.0\.1\]",
                         pf.log_text()), "Postfix logged no TLS connection")

    with t.claim("smtp_require_tls = off with smtp_ca_file: STARTTLS when offered, verified"):
        configure(smtp_require_tls="off", smtp_ca_file=ca[0])
        before = len(re.findall(r"TLS connection established", pf.log_text()))
        row = send_one(ok_user)
        expect_eq((row["state"], row["smtp_status"]), ("sent", "250"), "state, status")
        expect(len(re.findall(r"TLS connection established", pf.log_text())) > before,
               "no TLS connection for this message")

    with t.claim("a 4xx from Postfix: retried, smtp_status=451"):
        row = send_one(later_user)
        expect_eq((row["state"], row["smtp_status"], row["attempts"]), ("queued", "451", "1"),
                  "state, status, attempts")
        expect(re.search(r"queue_id=%s attempt=1 state=retry smtp_status=451" % row["id"],
                         mailer.log_text()), mailer.log_text()[-800:])
        f.db.sql("UPDATE mail_queue SET state = 'failed' WHERE id = %s" % row["id"])

    with t.claim("a 5xx from Postfix: given up at once, state failed, smtp_status=550"):
        row = send_one(never_user)
        expect_eq((row["state"], row["smtp_status"]), ("failed", "550"), "state, status")

    with t.claim("Postfix stopped: retried, nothing lost; started again: delivered"):
        pf.stop()
        row = send_one(ok_user)
        expect_eq((row["state"], row["attempts"]), ("queued", "1"), "state, attempts")
        expect(re.search(r"queue_id=%s attempt=1 state=retry" % row["id"], mailer.log_text()),
               mailer.log_text()[-800:])
        pf.start()
        n = pf.delivered(ok_user)
        make_due(f)
        mailer.run()
        row = queue_rows(f, "id = %s" % row["id"])[0]
        expect_eq((row["state"], row["attempts"]), ("sent", "2"), "state, attempts")
        expect(wait_for_delivery(pf, ok_user, n + 1), pf.log_text()[-1500:])

    pf.stop()
    return t.done()


def wait_for_delivery(pf, address, count):
    from harness import wait_for
    return wait_for(lambda: pf.delivered(address) >= count, timeout=30)


if __name__ == "__main__":
    import sys
    sys.exit(main())
