#!/usr/bin/env python3
"""test_recover_e2e.py: the whole recovery flow as deployed.  nginx,
rendered from nginx.conf.example, in front of the program's own workers
(account-reset --listen, workers as www-data); account-reset-mailer as a
daemon (started as root, dropping to www-data after reading its SMTP
credentials); a real SMTP server (scripts/mail-sink: STARTTLS with a
throwaway certificate, AUTH).  A client posts to recover through nginx,
the mail arrives, its code resets the password through nginx, once.
Apache (mod_proxy_fcgi and mod_cgid, rendered from the examples) carry the
recover location too and answer as nginx does."""

import os
import subprocess

from harness import TAP, Fixture, expect, expect_eq, expect_error, expect_token, \
    find_program, make_tempdir, strong_password, wait_for
from smtpd import MailSink, Mailer, code_of, mail_settings, queue_rows
from webservers import (WEB_USER, Apache, Nginx, as_root, share_with_web_user,
                        standalone_responder, uid_of)

RECOVER = "/api/v2/account/recover/"
RESET = "/api/v2/account/reset/"
CLIENT_ID = "recover-e2e"
SCOPE = "read write"
LIFETIME = 1800


def post(server, path, payload, fixture):
    import json
    for k in ("password", "validation_code"):
        fixture.note_secret(payload.get(k))
    return server.request("POST", json.dumps(payload).encode(),
                          {"Content-Type": "application/json"}, path=path)


def expect_accepted(r):
    expect(r.status == 202 and r.json == {"status": "accepted"},
           "want 202 accepted; got %s" % r.summary())


def shape(r):
    """What a client can compare: status, body, the header names and the
    values of every header but Date."""
    return (r.status, r.body, [(k, "" if k == "date" else v) for k, v in r.header_list])


def main():
    t = TAP()
    f = Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                access_token_lifetime=LIFETIME, recover_account_interval=0)
    sink = MailSink(f)
    # By name, not address: the mailer resolves it inside its sandbox.
    f.settings.update(mail_settings(sink, smtp_url="smtp://localhost:%d" % sink.port))
    t.setup(f.setup)
    t.setup(sink.start)
    if as_root():
        # The mailer reads the CA file on each connection, as www-data.
        os.chmod(sink.dir, 0o711)
        os.chmod(sink.cert, 0o644)
    resp = t.setup(standalone_responder, f, workers=2)
    t.setup(share_with_web_user, f)
    ng = t.setup(lambda: Nginx(resp.socket).start())
    mailer = Mailer(f, args=(["--user", WEB_USER, "--group", WEB_USER]
                             if as_root() else []))
    t.setup(mailer.start)
    email, old = t.setup(f.create_user)

    with t.claim("through nginx: recover answers 202, the mailer delivers the mail to "
                 "the SMTP server, and its code resets the password through nginx"):
        expect_accepted(post(ng, RECOVER, {"email": email}, f))
        msgs = sink.wait_for(1, timeout=60)
        expect_eq(len(msgs), 1, "messages")
        env, _raw, msg = msgs[0]
        expect_eq(env["rcpt_tos"], [email], "recipient")
        code = code_of(f, msg)
        new = strong_password("E2e")
        r = post(ng, RESET, {"validation_code": code, "password": new}, f)
        if isinstance(r.json, dict) and isinstance(r.json.get("token"), dict):
            for k in ("access_token", "refresh_token"):
                f.note_secret(r.json["token"].get(k))
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email, new), 0, "check-password new")

    with t.claim("the mailed code works once: the second reset through nginx is refused"):
        expect_error(post(ng, RESET, {"validation_code": code,
                                      "password": strong_password("Again")}, f),
                     400, "invalid_validation_code")

    with t.claim("the mailer, started as root, works as %s, inside its seccomp filter"
                 % WEB_USER):
        expect(mailer.alive(), mailer.log_text())
        log = mailer.log_text()
        # Off only where the build cannot have it (sanitizers, no libseccomp).
        expect("seccomp filter off" not in log or "sanitizer build" in log
               or "without libseccomp" in log, log)
        if as_root():
            expect_eq(uid_of(mailer.proc.pid), __import__("pwd").getpwnam(WEB_USER).pw_uid,
                      "uid")

    with t.claim("through nginx a known and an unknown address get the same answer "
                 "(status, headers but Date, body)"):
        a = post(ng, RECOVER, {"email": email}, f)
        b = post(ng, RECOVER, {"email": "nobody@example.test"}, f)
        expect_accepted(a)
        expect_eq(shape(b), shape(a), "answers")

    with t.claim("nginx answers 404 for a path under the recover location, the program "
                 "never sees it"):
        before = resp.log_text().count(b"request id=")
        r = ng.request("POST", b"{}", {"Content-Type": "application/json"},
                       path=RECOVER + "x")
        expect_eq(r.status, 404, "status")
        expect_eq(resp.log_text().count(b"request id="), before, "program log lines")

    with t.claim("Apache mod_proxy_fcgi (conf/apache-fcgi.conf.example) routes recover "
                 "to the responder: 202, the same body as nginx's"):
        ap = Apache("fcgi", socket_path=resp.socket).start()
        r = post(ap, RECOVER, {"email": email}, f)
        expect_accepted(r)
        expect_eq(r.body, a.body, "body")
        expect_error(post(ap, RECOVER, {"email": "not an address"}, f), 400,
                     "invalid_email")
        ap.stop()

    with t.claim("Apache mod_cgid (conf/apache-cgi.conf.example) runs the CGI program for "
                 "recover: 202, the same body as nginx's"):
        ap = Apache("cgi", config=f.config_path).start()
        r = post(ap, RECOVER, {"email": email}, f)
        expect_accepted(r)
        expect_eq(r.body, a.body, "body")
        ap.stop()

    with t.claim("conf/account-reset-mailer.service: systemd-analyze verify accepts it "
                 "(ExecStart mapped to the build tree), and its ExecStart is the mailer "
                 "with --config and no --once"):
        unit = os.path.join(os.environ.get("AR_SRCDIR", "."), "conf",
                            "account-reset-mailer.service")
        d = make_tempdir("ar-units-")
        with open(unit) as fi:
            text = fi.read()
        exec_line = [l for l in text.splitlines() if l.startswith("ExecStart=")][0]
        argv = exec_line.split("=", 1)[1].split()
        expect_eq(argv[0], "/usr/local/sbin/account-reset-mailer", "program")
        expect("--config" in argv and "--once" not in argv, "arguments %r" % argv)
        with open(os.path.join(d, "account-reset-mailer.service"), "w") as fo:
            fo.write(text.replace("/usr/local/sbin/account-reset-mailer", mailer.program))
        p = subprocess.run([find_program("systemd-analyze"), "verify", "--man=no",
                            os.path.join(d, "account-reset-mailer.service")],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace").strip()
        expect(p.returncode == 0 and not out, "exit %d: %s" % (p.returncode, out))

    with t.claim("the mailer works off every request made (sent or unknown), then stops "
                 "on SIGTERM with status 0"):
        wait_for(lambda: not any(row["state"] == "queued" for row in queue_rows(f)), 60,
                 step=0.2)
        states = sorted({row["state"] for row in queue_rows(f)})
        expect_eq(states, ["sent", "unknown"], "states")
        expect_eq(mailer.stop(), 0, "exit status")
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
