#!/usr/bin/env python3
"""test_lockdown.py: one lockdown before the first untrusted byte.

Every process that serves requests (each FastCGI worker, the CGI program)
sets NO_NEW_PRIVS and enters its seccomp filter before it reads a byte of
a request, whatever the database's state: a worker started while the
database is down is filtered at once and serves once the database is
back, connecting from inside the filter.  The unix socket that --listen
makes is 0660 by default: a local user outside its group cannot connect.

The filter claims are skipped in a sanitizer build, where the filter is
off by design (the sanitizers' own system calls would be refused).
"""

import os
import pwd
import socket
import subprocess
import sys

from harness import (TAP, SANITIZER_VARIABLES, Fixture, expect, expect_eq, expect_error,
                     expect_token, strong_password, wait_for, scaled)

CLIENT_ID = "lockdown-client"
SCOPE = "read write"
LIFETIME = 1800
CONNECT_TIMEOUT = 2
SANITIZED = any(k in os.environ for k in SANITIZER_VARIABLES)
NO_FILTER = "sanitizer build: the seccomp filter is off by design"


def proc_status(pid):
    """The Seccomp and NoNewPrivs lines of /proc/PID/status, as ints."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Seccomp", "NoNewPrivs"):
                out[key] = int(value.strip())
    return out


def expect_filtered(pid, what):
    st = proc_status(pid)
    expect_eq(st.get("NoNewPrivs"), 1, "%s NoNewPrivs" % what)
    expect_eq(st.get("Seccomp"), 2, "%s Seccomp (2: a filter)" % what)


def wait_until(cond, limit, what):
    if not wait_for(cond, limit):
        raise AssertionError("%s: not within %.0f s" % (what, scaled(limit)))


def as_user_connect(path, user):
    """errno of connecting to the unix socket path as user (0: connected),
    from a child that dropped to that user's ids."""
    pw = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
            except OSError as e:
                code = e.errno or 255
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME,
                                db_connect_timeout=CONNECT_TIMEOUT).setup())
    ok200 = lambda r: expect_token(r, CLIENT_ID, SCOPE, LIFETIME)

    # --- a FastCGI worker started while the database is down
    f.db.stop()
    fc = t.setup(lambda: f.fastcgi(children=1, mode="listen"))
    workers = []
    with t.claim("with the database down, the supervisor still starts its worker"):
        wait_until(lambda: len(fc.workers()) == 1, 30, "one worker")
        workers = fc.workers()

    desc = ("a worker started while the database is down has NO_NEW_PRIVS and its "
            "seccomp filter before it is sent any request")
    if SANITIZED:
        t.skip(desc, NO_FILTER)
    else:
        with t.claim(desc):
            # The worker locks down once its first connect has failed,
            # within the connect timeout (or at once: a socket refuses).
            wait_until(lambda: proc_status(workers[0]).get("Seccomp") == 2,
                       CONNECT_TIMEOUT * 10 + 10, "the filter")
            expect_filtered(workers[0], "the worker")

    with t.claim("while the database is down, that worker answers a refused password "
                 "with 400 and a code with 503"):
        r = fc.request({"validation_code": "x" * 43, "password": "short"})
        expect_error(r, 400, "invalid_password")
        r = fc.request({"validation_code": "x" * 43, "password": strong_password()})
        expect_error(r, 503, "temporarily_unavailable")

    f.db.start()
    with t.claim("once the database is back, the same worker (no restart) connects from "
                 "inside its filter and serves a reset"):
        _, _, code = f.user_and_code()
        ok200(fc.request({"validation_code": code, "password": strong_password()}))
        expect_eq(fc.workers(), workers, "worker pids")
    fc.stop()

    # --- the CGI program
    desc = ("the CGI program has its filter while it waits for the body: before it "
            "has read a byte of it")
    if SANITIZED:
        t.skip(desc, NO_FILTER)
    else:
        with t.claim(desc):
            _, _, code = f.user_and_code()
            body = ('{"validation_code": "%s", "password": "%s"}'
                    % (code, strong_password())).encode()
            f.note_secret(code)
            env = dict(os.environ)
            env.update(f.request_env(body=body))
            env["ACCOUNT_RESET_CONFIG"] = f.config_path
            p = subprocess.Popen([f.cgi_program], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            try:
                wait_until(lambda: proc_status(p.pid).get("Seccomp") == 2, 30,
                           "the CGI program's filter")
                expect_filtered(p.pid, "the CGI program")
                out, err = p.communicate(body, timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            f.cgi_stderr.append(err)
            expect_eq(p.returncode, 0, "exit status")
            expect(out.startswith(b"Status: 200") or b"access_token" in out,
                   "a 200 answer, got %r" % out[:200])

    f.db.stop()
    with t.claim("with the database down, the CGI program (filtered, connecting from "
                 "inside the filter) answers 503 and exits normally, not by SIGSYS"):
        r = f.cgi({"validation_code": "y" * 43, "password": strong_password()})
        expect_error(r, 503, "temporarily_unavailable")
        expect_eq(r.returncode, 0, "exit status")
    f.db.start()

    # --- the socket's mode
    if os.geteuid() != 0:
        t.skip("a user outside the socket's group cannot connect", "needs root")
    else:
        # Every directory on the way is searchable by anyone: only the
        # socket's own mode and group decide.
        os.chmod(f.base, 0o711)
        fc = t.setup(lambda: f.fastcgi(children=1, mode="listen",
                                       args=["--allow-root"]))
        os.chmod(fc.dir, 0o711)
        with t.claim("the socket --listen makes is 0660 by default"):
            expect_eq(oct(os.stat(fc.socket).st_mode & 0o777), "0o660", "mode")
        with t.claim("a local user outside the socket's group (nobody) is refused "
                     "(EACCES) and cannot speak FastCGI to the responder"):
            expect_eq(as_user_connect(fc.socket, "nobody"), 13, "errno")
        fc.stop()
        fc = t.setup(lambda: f.fastcgi(children=1, mode="listen",
                                       args=["--allow-root", "--socket-group", "nogroup"]))
        os.chmod(fc.dir, 0o711)
        with t.claim("--socket-group nogroup: the socket is in that group and its member "
                     "(nobody) can connect"):
            import grp
            expect_eq(os.stat(fc.socket).st_gid, grp.getgrnam("nogroup").gr_gid, "group")
            expect_eq(as_user_connect(fc.socket, "nobody"), 0, "errno")
        fc.stop()
        fc = t.setup(lambda: f.fastcgi(children=1, mode="listen",
                                       args=["--allow-root", "--socket-mode", "0600",
                                             "--socket-group", "nogroup"]))
        with t.claim("--socket-mode 0600 --socket-group nogroup: the mode comes from "
                     "bind() and the group from lchown(), without a chmod by path "
                     "(issue 19): exactly 0600, group nogroup"):
            import grp
            st = os.lstat(fc.socket)
            expect_eq((oct(st.st_mode & 0o777), st.st_gid),
                      ("0o600", grp.getgrnam("nogroup").gr_gid), "mode and group")
        fc.stop()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
