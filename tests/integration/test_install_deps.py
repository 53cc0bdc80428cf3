#!/usr/bin/env python3
"""test_install_deps.py: scripts/install-deps splits what running needs
from what testing needs, and waits for a dpkg lock another apt holds,
saying so (issue 10, point 5).
"""

import fcntl
import os
import subprocess
import sys

from harness import TAP, expect, expect_eq

SRCDIR = os.environ.get("AR_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(SRCDIR, "scripts", "install-deps")
LOCKS = ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock", "/var/lib/apt/lists/lock")


def run(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(["bash", SCRIPT] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def main():
    t = TAP()
    rc, out, _ = run("--list", "run")
    run_list = out.split()
    rc2, out2, _ = run("--list", "test")
    test_list = out2.split()

    with t.claim("install-deps --list run names what building and the quick start need"):
        expect_eq((rc, rc2), (0, 0), "exit statuses")
        for p in ("libfcgi-dev", "libjson-c-dev", "libssl-dev", "default-libmysqlclient-dev",
                  "mariadb-server", "nginx", "spawn-fcgi", "libfcgi-bin", "curl"):
            expect(p in run_list, "%s not in %r" % (p, run_list))

    with t.claim("... and nothing only the tests need (clang, valgrind, apache2, wrk)"):
        for p in ("clang", "valgrind", "apache2", "wrk", "python3-django"):
            expect(p not in run_list, "%s in the run list" % p)

    with t.claim("install-deps --list test is the run list and what the tests add"):
        expect(set(run_list) <= set(test_list), "run packages missing from test")
        for p in ("clang", "valgrind", "apache2", "wrk", "python3-django", "python3-mysqldb"):
            expect(p in test_list, "%s not in the test list" % p)

    with t.claim("an unknown purpose is a usage error (exit 2)"):
        rc, _, err = run("everything")
        expect_eq(rc, 2, "exit status")
        expect("usage" in err, "stderr %r" % err)

    with t.claim("with everything installed, install-deps test exits 0 and runs no apt"):
        rc, out, err = run("test")
        expect_eq(rc, 0, "exit status (stderr %r)" % err)
        expect("installing" not in out, "stdout %r" % out)

    if os.geteuid() == 0:
        with t.claim("with the dpkg lock held by another process, install-deps says it "
                     "waits for it, waits (DPkg::Lock::Timeout), and fails naming the lock"):
            held = []
            try:
                for path in LOCKS:
                    fh = open(path, "r+")
                    fcntl.lockf(fh, fcntl.LOCK_EX)
                    held.append(fh)
                rc, out, err = run("run", "account-reset-no-such-package",
                                   env={"INSTALL_DEPS_LOCK_TIMEOUT": "2"})
            finally:
                for fh in held:
                    fh.close()
            expect("holds the dpkg lock; waiting for it" in out, "stdout %r" % out)
            expect_eq(rc, 1, "exit status")
            expect("INSTALL_DEPS_LOCK_TIMEOUT" in err, "stderr %r" % err)

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
