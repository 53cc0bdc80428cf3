#!/usr/bin/env python3
"""test_operator.py: loud failures and useful logs, as an operator meets
them on the first day (issue 10, points 1, 7 and 9).

Point 1: an option file the service user cannot read is refused at start
and by --check-config (checked as --user), naming the file and the reason,
instead of the client library's silent fallback to its defaults.
Point 7: a key given twice is refused naming both lines; the man pages and
the example config show the sysconfdir the program was built with.
Point 9: the request line carries the method and the client key, a 429 is
logged with the key that is limited, and log_file sends the log to a file.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from harness import (TAP, Fixture, expect, expect_eq, expect_error, on_exit,
                     strong_password, _base_env)

IS_ROOT = os.geteuid() == 0


def responder(f, *args, env=None, timeout=60.0):
    e = _base_env()
    e.update(env or {})
    r = subprocess.run([f.responder] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


def open_dir():
    """A temporary directory other users may traverse (0711), removed at
    exit: the option file's own mode is then all that decides."""
    d = tempfile.mkdtemp(prefix="ar-op-", dir="/tmp")
    os.chmod(d, 0o711)
    on_exit(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, attempt_limit=2,
                                attempt_window=600).setup())
    d = open_dir()
    opt = f.write_option_file(os.path.join(d, "my.cnf"))
    conf = os.path.join(d, "ar.conf")
    with open(f.config_path) as src, open(conf, "w") as dst:
        dst.write(src.read().replace(f.option_file, opt))
    os.chmod(conf, 0o644)

    # -- point 1
    if IS_ROOT:
        os.chown(opt, 0, 0)
        os.chmod(opt, 0o600)
        with t.claim("--check-config --user nobody refuses an option file nobody "
                     "cannot read, naming the file, the user and the reason"):
            r = responder(f, "--check-config", "--config", conf, "--user", "nobody")
            expect_eq(r.returncode, 1, "exit status (stdout %r)" % r.stdout)
            expect(opt in r.stderr and "cannot be read by user nobody" in r.stderr
                   and "Permission denied" in r.stderr, "stderr %r" % r.stderr)
            expect("OK" not in r.stdout, "stdout %r" % r.stdout)

        with t.claim("the supervisor refuses to start (exit 1, no socket left) with "
                     "that option file, naming it"):
            sock = os.path.join(d, "ar.sock")
            r = responder(f, "--config", conf, "--listen", "unix:" + sock,
                          "--workers", "1", "--user", "nobody")
            expect_eq(r.returncode, 1, "exit status")
            expect("refusing to start" in r.stderr and opt in r.stderr,
                   "stderr %r" % r.stderr)
            expect(not os.path.exists(sock), "socket created")

        with t.claim("the option file in a directory nobody cannot enter is refused "
                     "the same way (the fixture's 0700 etc/)"):
            r = responder(f, "--check-config", "--config", f.config_path,
                          "--user", "nobody")
            expect_eq(r.returncode, 1, "exit status")
            expect(f.option_file in r.stderr and "Permission denied" in r.stderr,
                   "stderr %r" % r.stderr)

        with t.claim("root:nogroup 0640 (readable by the service group) passes "
                     "--check-config --user nobody"):
            os.chown(opt, 0, 65534)
            os.chmod(opt, 0o640)
            r = responder(f, "--check-config", "--config", conf, "--user", "nobody")
            expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
            expect(r.stdout.strip() == conf + ": OK", "stdout %r" % r.stdout)
        os.chmod(opt, 0o600)
    else:
        with t.claim("--check-config refuses an option file this user cannot read, "
                     "naming the file and the reason"):
            os.chmod(opt, 0o000)
            r = responder(f, "--check-config", "--config", conf)
            os.chmod(opt, 0o600)
            expect_eq(r.returncode, 1, "exit status")
            expect(opt in r.stderr and "Permission denied" in r.stderr,
                   "stderr %r" % r.stderr)

    # -- point 7
    with t.claim("--check-config refuses a key given twice, naming both lines"):
        dup = f.write_config("dup.conf")
        with open(dup, "a") as fh:
            fh.write("retry_after = 7\n")
        n = len(open(dup).read().splitlines())
        first = [i + 1 for i, l in enumerate(open(dup).read().splitlines())
                 if l.startswith("retry_after")][0]
        r = responder(f, "--check-config", "--config", dup)
        expect_eq(r.returncode, 1, "exit status")
        expect("line %d: key 'retry_after' is already set on line %d" % (n, first)
               in r.stderr, "stderr %r" % r.stderr)

    with t.claim("the built man pages and example config name the default config "
                 "path the program uses, and no placeholder"):
        r = responder(f, "--check-config", env={"ACCOUNT_RESET_CONFIG": ""})
        m = re.search(r"configuration: (/\S+/account-reset/account-reset\.conf):", r.stderr)
        expect(m, "no default path in %r" % r.stderr)
        default = m.group(1)
        for rel in ("man/account-reset.8", "man/account-reset-admin.8",
                    "conf/account-reset.conf.example"):
            text = open(os.path.join(f.builddir, rel)).read()
            expect("SYSCONFDIR" not in text and "@sysconfdir@" not in text
                   and "@PACKAGE_VERSION@" not in text, "%s has a placeholder" % rel)
        man = open(os.path.join(f.builddir, "man/account-reset.8")).read()
        expect(default in man.replace("\\-", "-"), "%s not in account-reset.8" % default)
        ex = open(os.path.join(f.builddir, "conf/account-reset.conf.example")).read()
        expect("mysql_option_file = %s/my.cnf" % os.path.dirname(default) in ex,
               "example's mysql_option_file is not in %s" % os.path.dirname(default))

    # -- point 9
    with t.claim("the request line carries the method and the client key"):
        r = f.cgi({"validation_code": "x" * 32, "password": strong_password()},
                  env={"REMOTE_ADDR": "192.0.2.41", "HTTP_X_REQUEST_ID": "op-line-1"})
        line = [l for l in r.stderr.decode().splitlines() if "id=op-line-1 " in l
                and "status=" in l]
        expect(line and re.search(r"request id=op-line-1 method=POST client=192\.0\.2\.41 "
                                  r"status=400 error=invalid_validation_code duration_ms=",
                                  line[-1]), "lines %r" % line)

    with t.claim("an IPv6 client is logged by its /64 key; a method that is no token "
                 "is logged as '?'"):
        r = f.cgi(None, method="GET",
                  env={"REMOTE_ADDR": "2001:db8:5:6::9", "HTTP_X_REQUEST_ID": "op-line-2"})
        expect("method=GET client=2001:db8:5:6::/64 status=405" in r.stderr.decode(),
               "stderr %r" % r.stderr)
        r = f.cgi(None, method="G\x01T=x", env={"HTTP_X_REQUEST_ID": "op-line-3"})
        expect(re.search(r"id=op-line-3 method=\? ", r.stderr.decode()),
               "stderr %r" % r.stderr)

    with t.claim("a 429 is logged with the key that is limited and how to lift it"):
        for _ in range(2):
            f.cgi({"validation_code": secrets.token_urlsafe(24),
                   "password": strong_password()}, env={"REMOTE_ADDR": "192.0.2.42"})
        r = f.cgi({"validation_code": secrets.token_urlsafe(24),
                   "password": strong_password()},
                  env={"REMOTE_ADDR": "192.0.2.42", "HTTP_X_REQUEST_ID": "op-429"})
        expect_error(r, 429, "too_many_requests")
        text = r.stderr.decode()
        expect("client 192.0.2.42 is over the attempt limit" in text
               and "clear-attempts" in text, "stderr %r" % text)
        expect("method=POST client=192.0.2.42 status=429" in text, "stderr %r" % text)

    with t.claim("log_file sends the log lines to that file (appended), not stderr"):
        logf = os.path.join(f.base, "ar.log")
        with open(logf, "w") as fh:
            fh.write("earlier line\n")
        c = f.write_config("logfile.conf", log_file=logf)
        r = f.cgi(None, method="GET", config=c, env={"HTTP_X_REQUEST_ID": "op-file"})
        expect_eq(r.status, 405, "status")
        expect(b"op-file" not in r.stderr, "stderr %r" % r.stderr)
        text = open(logf).read()
        expect(text.startswith("earlier line\n") and "id=op-file method=GET" in text,
               "log file %r" % text)

    with t.claim("a log_file that cannot be opened stops --check-config, naming it"):
        c = f.write_config("badlog.conf", log_file="/nonexistent-dir/ar.log")
        r = responder(f, "--check-config", "--config", c)
        expect_eq(r.returncode, 1, "exit status")
        expect("log_file /nonexistent-dir/ar.log" in r.stderr, "stderr %r" % r.stderr)

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
