#!/usr/bin/env python3
"""test_build_paths.py: the configured paths are a dependency of what
uses them.

In a build directory of its own: configure --prefix=A, make the admin
CLI; it looks for A/etc/account-reset/account-reset.conf.  configure
again with --prefix=B and make: the objects that hold the path are built
again and the program looks in B (before the fix, make rebuilt nothing
and the program still looked in A).  A make with nothing changed does not
rebuild them.  And the man pages say what the programs do (NAME,
SYNOPSIS with --metrics, SEE ALSO the mailer).
"""

import os
import subprocess

from harness import TAP, Fixture, expect, expect_eq, make_tempdir, scaled

PROGRAM = "account-reset-admin"


def run(cmd, cwd, timeout):
    r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                     r.stdout.decode(errors="replace")[-2000:]))
    return r


def configure(srcdir, build, prefix):
    run([os.path.join(srcdir, "configure"), "--prefix=" + prefix, "--disable-hardening"],
        build, scaled(600))


def make(build):
    run(["make", "-j2", PROGRAM], build, scaled(1800))


def looks_for(build):
    """The config file the program looks for when given none."""
    r = subprocess.run([os.path.join(build, PROGRAM), "queue"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, timeout=scaled(60))
    return r.stderr.decode(errors="replace")


def main():
    t = TAP()
    srcdir = Fixture().srcdir
    base = make_tempdir("ar-paths-")
    build = os.path.join(base, "build")
    os.mkdir(build)
    a, b = os.path.join(base, "a"), os.path.join(base, "b")
    t.setup(lambda: (configure(srcdir, build, a), make(build)))
    obj = os.path.join(build, "src", "conf", "config.o")

    with t.claim("built with --prefix=A, the program looks for A's config file"):
        err = looks_for(build)
        expect(os.path.join(a, "etc", "account-reset", "account-reset.conf") in err,
               "stderr %r" % err)

    with t.claim("configured again with --prefix=B, make rebuilds the configuration "
                 "code and the program looks for B's config file"):
        before = os.stat(obj).st_mtime_ns
        configure(srcdir, build, b)
        make(build)
        expect(os.stat(obj).st_mtime_ns != before, "config.o was not rebuilt")
        err = looks_for(build)
        expect(os.path.join(b, "etc", "account-reset", "account-reset.conf") in err,
               "stderr %r" % err)

    with t.claim("make again with nothing changed rebuilds nothing that holds the path"):
        before = os.stat(obj).st_mtime_ns
        make(build)
        expect_eq(os.stat(obj).st_mtime_ns, before, "config.o mtime")

    with t.claim("the man pages: account-reset(8)'s NAME names its endpoints, its SYNOPSIS "
                 "has --metrics, SEE ALSO the mailer; account-reset-mailer(8)'s SYNOPSIS "
                 "has --metrics"):
        run(["make", "man/account-reset.8"], build, scaled(120))
        with open(os.path.join(build, "man", "account-reset.8")) as fh:
            page = fh.read()
        name = page.split(".SH NAME", 1)[1].split(".SH", 1)[0]
        synopsis = page.split(".SH SYNOPSIS", 1)[1].split(".SH", 1)[0]
        see = page.split(".SH SEE ALSO", 1)[1]
        expect(all(w in name for w in ("reset", "recover", "health")), "NAME %r" % name)
        expect("metrics" in synopsis, "SYNOPSIS %r" % synopsis)
        expect("account-reset-mailer" in see, "SEE ALSO %r" % see)
        with open(os.path.join(srcdir, "man", "account-reset-mailer.8")) as fh:
            mailer = fh.read()
        expect("metrics" in mailer.split(".SH SYNOPSIS", 1)[1].split(".SH", 1)[0],
               "the mailer's SYNOPSIS")

    t.done()


if __name__ == "__main__":
    main()
