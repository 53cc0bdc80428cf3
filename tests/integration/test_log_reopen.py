#!/usr/bin/env python3
"""test_log_reopen.py: the supervisor runs as root and reopens log_file
on SIGHUP; the log's directory may belong to the service's user.  That
user replacing the log with a symbolic link, or a hard link, to a file of
root's must not get lines appended to that file: the reopen refuses a
link (O_NOFOLLOW, a file with more than one name) and a file owned by
neither the process's user nor the directory's owner, and the supervisor
keeps its running configuration and serves on (issue 19, point 6).  Run
as root, as the attack needs."""

import os
import pwd
import signal

from harness import TAP, Fixture, expect, expect_eq, make_tempdir
from harness import wait_for

ORIGINAL = "root's file, not a log\n"


def main():
    t = TAP()
    expect(os.geteuid() == 0, "this test needs root: the attack is on a root supervisor")
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    nobody = pwd.getpwnam("nobody")
    logdir = make_tempdir()
    os.chown(logdir, nobody.pw_uid, nobody.pw_gid)   # the service's user owns it
    os.chmod(logdir, 0o755)
    log = os.path.join(logdir, "account-reset.log")
    conf = f.write_config("logfile.conf", log_file=log)
    fc = t.setup(lambda: f.fastcgi(children=1, mode="listen", config=conf))
    rootdir = make_tempdir()
    target = os.path.join(rootdir, "root-owned")

    def attack(make_link, tag):
        with open(target, "w") as fh:
            fh.write(ORIGINAL)
        os.chmod(target, 0o644)
        os.unlink(log)
        make_link(target, log)
        os.kill(fc.pids[0], signal.SIGHUP)
        # A reload that went through replaces the workers; give the
        # supervisor time to act on the signal either way.
        wait_for(lambda: False, timeout=1.0)
        for i in range(3):
            r = fc.request(None, method="GET", env={"HTTP_X_REQUEST_ID": "%s-%d" % (tag, i)})
            expect_eq(r.status, 405, "status")
        with open(target) as fh:
            return fh.read()

    with t.claim("the log replaced by a symbolic link to a root-owned file: SIGHUP "
                 "appends nothing to that file, and the responder serves on"):
        got = attack(os.symlink, "symlink")
        expect_eq(got, ORIGINAL, "the root-owned file")
        expect(fc.alive(), "the supervisor stopped")

    with t.claim("the same with a hard link: nothing appended"):
        got = attack(os.link, "hardlink")
        expect_eq(got, ORIGINAL, "the root-owned file")
        expect(fc.alive(), "the supervisor stopped")

    with t.claim("a regular log file put back by the directory's owner is reopened "
                 "on SIGHUP and gets the lines"):
        os.unlink(log)
        with open(log, "w") as fh:
            fh.write("")
        os.chown(log, nobody.pw_uid, nobody.pw_gid)
        os.kill(fc.pids[0], signal.SIGHUP)
        expect(wait_for(lambda: "configuration reloaded" in open(log).read(),
                        timeout=10), "no reload line in the log")
        expect_eq(fc.request(None, method="GET",
                             env={"HTTP_X_REQUEST_ID": "after-fix"}).status, 405, "status")
        expect(wait_for(lambda: "after-fix" in open(log).read(), timeout=10),
               "the request line is not in the log")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
