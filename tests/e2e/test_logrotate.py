#!/usr/bin/env python3
"""test_logrotate.py: conf/account-reset.logrotate with the real logrotate.

The responder (account-reset --listen --workers 1, its log in log_file)
logs a request; logrotate -f runs the shipped snippet (its log directory
and its signal command replaced by the test's, nothing else): the old
file is renamed with the request's line in it, a new empty file is
created, the responder gets SIGHUP, and the next request's line goes to
the new file and not the old one.
"""

import os
import re
import subprocess

from harness import TAP, Fixture, expect, expect_eq, find_program, scaled, wait_for

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
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    logdir = os.path.join(f.base, "log")
    os.mkdir(logdir, 0o755)
    log = os.path.join(logdir, "account-reset.log")
    cfg = f.write_config("rotate.conf", log_file=log)
    resp = t.setup(lambda: f.fastcgi(children=1, mode="listen", config=cfg))
    logrotate = find_program("logrotate")

    with t.claim("the responder writes its request line to log_file"):
        r = resp.request(body=b"{}")
        expect_eq(r.status, 400, "status")
        wait_for(lambda: "status=400" in read(log), timeout=scaled(10))
        first = read(log)

    with t.claim("logrotate -f with the shipped snippet renames the file, creates a new "
                 "one and signals the responder"):
        conf = render(f.srcdir, logdir, resp.pids, os.path.join(f.base, "logrotate.conf"))
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
        r = resp.request(body=b"[]")
        expect_eq(r.status, 400, "status")
        wait_for(lambda: "status=400" in read(log), timeout=scaled(10))
        expect_eq(read(log + ".1"), first, "the old file grew")

    resp.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
