#!/usr/bin/env python3
"""test_config_refusals.py: settings that would hand a secret or an
account to someone else are refused at start, naming the file and what to
do (issue 19):

  * point 7: a database option file others can read (0644: the password is
    in it) and a config its group can write (0664) are refused by
    --check-config, with the file, its mode and the mode to set;
  * point 8: smtp_url with "user:password@" is refused by the mailer, and
    the password appears in no log (the credentials file is the place);
  * also: reset_url on http:// is refused unless its host is loopback (on
    plain HTTP a network attacker reads the code from the page)."""

import os
import secrets
import subprocess

from harness import TAP, Fixture, expect, expect_eq
from smtpd import Mailer, mail_settings


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    f.settings.update(mail_settings(None, smtp_url="smtp://127.0.0.1:25",
                                    smtp_require_tls="off"))
    t.setup(f.setup)

    def check_config(conf):
        args = ["--allow-root"] if os.geteuid() == 0 else []
        return subprocess.run([f.responder, "--check-config", "--config", conf] + args,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, universal_newlines=True)

    with t.claim("--check-config refuses an option file others can read (0644), "
                 "naming it, its mode and the mode to set") as cl:
        opt = f.write_option_file(path=os.path.join(f.etc, "readable.cnf"))
        os.chmod(opt, 0o644)
        conf = f.write_config("readable.conf", mysql_option_file=opt)
        r = check_config(conf)
        cl.note(r.stderr)
        expect(r.returncode != 0, "exit status 0")
        expect(opt in r.stderr and "0644" in r.stderr and "chmod 0640" in r.stderr,
               "the message names the file, its mode and the mode to set")
        os.chmod(opt, 0o640)
        expect_eq(check_config(conf).returncode, 0, "exit status at 0640")

    with t.claim("--check-config refuses a config its group can write (0664), naming "
                 "it, its mode and the mode to set") as cl:
        conf = f.write_config("group-writable.conf")
        os.chmod(conf, 0o664)
        r = check_config(conf)
        cl.note(r.stderr)
        expect(r.returncode != 0, "exit status 0")
        expect(conf in r.stderr and "0664" in r.stderr and "writable by its group"
               in r.stderr and "chmod 0640" in r.stderr,
               "the message names the file, its mode and the mode to set")

    with t.claim("the mailer refuses smtp_url with user:password@ in it, pointing to "
                 "smtp_credentials_file, and no log holds the password") as cl:
        pw = "Smtp-" + secrets.token_urlsafe(18)
        f.note_secret(pw)
        for url in ("smtp://mailer:%s@127.0.0.1:25" % pw,
                    "smtps://mailer:%s@relay.example.test" % pw,
                    "smtp://mailer:%s@" % pw):
            conf = f.write_config("cred-url.conf", smtp_url=url)
            m = Mailer(f, config=conf)
            r = m.run()
            cl.note(m.log_text())
            expect_eq(r.returncode, 1, "exit status")
            expect("smtp_credentials_file" in m.log_text(), "the way out is named")
            expect(not f.leaks(m.log_text().encode() + r.stdout),
                   "the password is in the log: %s" % f.leak_report(m.log_text()))

    with t.claim("the mailer refuses reset_url on http:// for a host not on loopback, "
                 "and takes it for 127.0.0.1, localhost and [::1]") as cl:
        conf = f.write_config("http-url.conf", reset_url="http://app.example.test/reset")
        m = Mailer(f, config=conf, args=(["--allow-root"] if os.geteuid() == 0 else [])
                   + ["--check-config"])
        r = m.run()
        cl.note(m.log_text())
        expect_eq(r.returncode, 1, "exit status for http://app.example.test")
        expect("https" in m.log_text(), "the message says https")
        for url in ("http://127.0.0.1:8080/reset", "http://localhost/reset",
                    "http://[::1]:8080/reset", "https://app.example.test/reset"):
            conf = f.write_config("ok-url.conf", reset_url=url)
            m = Mailer(f, config=conf, args=(["--allow-root"] if os.geteuid() == 0 else [])
                       + ["--check-config"])
            expect_eq(m.run().returncode, 0, "exit status for %s: %s" % (url, m.log_text()))
        for url in ("http://127.0.0.1.evil.example/reset", "http://localhost.evil/x"):
            conf = f.write_config("bad-url.conf", reset_url=url)
            m = Mailer(f, config=conf, args=(["--allow-root"] if os.geteuid() == 0 else [])
                       + ["--check-config"])
            expect_eq(m.run().returncode, 1, "exit status for %s" % url)

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
