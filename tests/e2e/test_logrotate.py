#!/usr/bin/env python3
"""test_logrotate.py: conf/account-reset.logrotate with the real logrotate.

The responder (account-reset --listen --workers 1, its log in log_file)
logs a request, and the mailer (account-reset-mailer, its log in
mailer_log_file) its start; logrotate -f runs the shipped snippet (its
log directory and its signal command replaced by the test's, nothing
else): the old files are renamed with their lines in them, new empty
files are created, both programs get SIGHUP, and their next lines go to
the new files and not the old ones.
"""

import os
import re
import subprocess

from harness import TAP, Fixture, expect, expect_eq, find_program, scaled, wait_for
from smtpd import MailSink, Mailer, mail_settings

SNIPPET_DIR = "/var/log/account-reset/"
SIGNAL_RE = re.compile(r"^\s*systemctl kill .*account-reset-mailer\.service.*$", re.M)


def render(srcdir, logdir, pids, out):
    with open(os.path.join(srcdir, "conf", "account-reset.logrotate")) as f:
        text = f.read()
    expect(SNIPPET_DIR in text and SIGNAL_RE.search(text), "the snippet's strings moved")
    text = text.replace(SNIPPET_DIR, logdir + "/")
    text = SIGNAL_RE.sub("\t\tkill -HUP %s" % " ".join(str(p) for p in pids), text)
    # The test runs as whoever runs it: keep the file's own owner.
    text = text.replace("create 0640 root adm", "create 0640")
    with open(out, "w") as f:
        f.write(text)
    return out


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f, tls=False, auth=False)
    f.settings.update(mail_settings(sink))
    t.setup(f.setup)
    t.setup(sink.start)
    logdir = os.path.join(f.base, "log")
    os.mkdir(logdir, 0o755)
    log = os.path.join(logdir, "account-reset.log")
    mlog = os.path.join(logdir, "account-reset-mailer.log")
    cfg = f.write_config("rotate.conf", log_file=log, mailer_log_file=mlog)
    resp = t.setup(lambda: f.fastcgi(children=1, mode="listen", config=cfg))
    mailer = t.setup(lambda: Mailer(f, config=cfg).start())
    logrotate = find_program("logrotate")

    with t.claim("the responder writes its request line to log_file"):
        r = resp.request(body=b"{}")
        expect_eq(r.status, 400, "status")
        wait_for(lambda: "status=400" in read(log), timeout=scaled(10))
        first = read(log)

    with t.claim("the mailer writes its start to mailer_log_file"):
        expect(wait_for(lambda: "serving the queue" in read(mlog), timeout=scaled(30)),
               "mailer log: %r; stderr: %r" % (read(mlog)[-300:], mailer.log_text()[-300:]))
        mfirst = read(mlog)

    with t.claim("logrotate -f with the shipped snippet renames the file, creates a new "
                 "one and signals the responder"):
        old_workers = set(resp.workers())
        conf = render(f.srcdir, logdir, list(resp.pids) + [mailer.proc.pid],
                      os.path.join(f.base, "logrotate.conf"))
        p = subprocess.run([logrotate, "-f", "-s", os.path.join(f.base, "state"), conf],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=scaled(60))
        expect_eq(p.returncode, 0, "logrotate (%s)" % p.stdout.decode(errors="replace"))
        expect_eq(read(log + ".1"), first, "the rotated file")
        expect(os.path.exists(log), "no new file")
        # The supervisor says so in the file it opened again.
        wait_for(lambda: "configuration reloaded" in read(log), timeout=scaled(30))

    with t.claim("after the signal the next request's line goes to the new file, and "
                 "not to the old one"):
        # The old worker finishes what it has and goes; until then it may
        # still take a request on the shared socket (and log it where it
        # was told to).
        expect(wait_for(lambda: not old_workers & set(resp.workers()), timeout=scaled(30)),
               "the old worker is still there")
        r = resp.request(body=b"[]")
        expect_eq(r.status, 400, "status")
        wait_for(lambda: "status=400" in read(log), timeout=scaled(10))
        expect_eq(read(log + ".1"), first, "the old file grew")

    with t.claim("the mailer opened mailer_log_file again on the signal: its reload "
                 "line is in the new file, and the old one did not grow"):
        expect_eq(read(mlog + ".1")[:len(mfirst)], mfirst, "the rotated file")
        expect(wait_for(lambda: "configuration reloaded" in read(mlog), timeout=scaled(30)),
               "new mailer log: %r; old: %r; stderr: %r" % (
                   read(mlog)[-300:], read(mlog + ".1")[-300:], mailer.log_text()[-300:]))
        expect("configuration reloaded" not in read(mlog + ".1"), "the old file grew")

    mailer.stop()
    resp.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
