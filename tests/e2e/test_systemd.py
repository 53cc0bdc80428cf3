#!/usr/bin/env python3
"""test_systemd.py: conf/account-reset.socket and conf/account-reset.service.

No systemd is booted here.  The units are checked by systemd-analyze
verify (the program path mapped to the build tree), and the service's own
ExecStart command line is run the way systemd would run it: under
systemd-socket-activate, which listens on the socket, starts nothing until
the first connection, then execs the command with the socket as fd 3 and
LISTEN_FDS/LISTEN_PID set.  The socket gets the unit's SocketMode and
SocketGroup, the command runs as the web user standing in for the unit's
User= (root without --user is refused, as it should be), and nginx,
rendered from nginx.conf.example, sends the requests.  ExecReload and
KillSignal are then exercised as systemd would send them.
"""

import grp
import os
import pwd
import re
import shlex
import signal
import subprocess

from harness import (TAP, Fixture, HarnessError, expect, expect_eq, expect_token,
                     find_program, make_tempdir, on_exit, strong_password, wait_for)
from webservers import (kill_tree, SRCDIR, WEB_USER, Nginx, as_root, descendants, install_copy,
                        share_with_web_user, uid_of)

CLIENT_ID = "systemd-e2e"
SCOPE = "read write"
LIFETIME = 1800
INSTALLED = "/usr/local/sbin/account-reset"


def read_unit(path):
    """{section: [(key, value), ...]} of a unit file (repeated keys kept)."""
    units, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = re.match(r"\[(.+)\]\Z", line)
            if m:
                section = units.setdefault(m.group(1), [])
                continue
            key, _, value = line.partition("=")
            section.append((key.strip(), value.strip()))
    return units


def unit_value(unit, section, key):
    values = [v for k, v in unit.get(section, []) if k == key]
    return values[-1] if values else None


def main():
    t = TAP()
    socket_unit = os.path.join(SRCDIR, "conf", "account-reset.socket")
    service_unit = os.path.join(SRCDIR, "conf", "account-reset.service")
    sock = read_unit(socket_unit)
    svc = read_unit(service_unit)
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())

    with t.claim("systemd-analyze verify accepts both units (ExecStart's %s mapped to "
                 "the build tree; man pages not checked)" % INSTALLED):
        d = make_tempdir("ar-units-")
        for src in (socket_unit, service_unit):
            with open(src) as fi, open(os.path.join(d, os.path.basename(src)), "w") as fo:
                fo.write(fi.read().replace(INSTALLED, f.responder))
        p = subprocess.run([find_program("systemd-analyze"), "verify", "--man=no",
                            os.path.join(d, "account-reset.socket"),
                            os.path.join(d, "account-reset.service")],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace").strip()
        expect(p.returncode == 0 and not out, "exit %d: %s" % (p.returncode, out))

    listen = unit_value(sock, "Socket", "ListenStream")
    group = unit_value(sock, "Socket", "SocketGroup")
    mode = unit_value(sock, "Socket", "SocketMode")
    with t.claim("the socket unit matches the web-server examples: nginx.conf.example's "
                 "fastcgi_pass and apache-fcgi's ProxyPass use its ListenStream, and its "
                 "SocketGroup (mode 0660) is nginx's worker user"):
        with open(os.path.join(SRCDIR, "nginx.conf.example")) as fi:
            nginx_conf = fi.read()
        with open(os.path.join(SRCDIR, "conf", "apache-fcgi.conf.example")) as fi:
            apache_conf = fi.read()
        expect("fastcgi_pass unix:%s;" % listen in nginx_conf, "nginx's fastcgi_pass")
        expect('"unix:%s|fcgi://' % listen in apache_conf, "Apache's ProxyPass")
        expect_eq(mode, "0660", "SocketMode")
        expect("\nuser %s;" % group in nginx_conf, "nginx's user is not %s" % group)

    # ExecStart as systemd would run it, on a socket made as the unit says.
    argv = shlex.split(unit_value(svc, "Service", "ExecStart"))
    with t.claim("ExecStart runs %s with --config and --workers (no --listen: the "
                 "socket comes from systemd)" % INSTALLED):
        expect_eq(argv[0], INSTALLED, "program")
        expect("--config" in argv and "--workers" in argv and "--listen" not in argv,
               "arguments %r" % argv)
    argv[argv.index("--config") + 1] = f.config_path
    workers = int(argv[argv.index("--workers") + 1])

    share_with_web_user(f)  # the service user reads the config and the option file
    run = make_tempdir("ar-sd-")
    os.chmod(run, 0o755)
    argv[0] = install_copy(f.responder, run)  # where make install would put it
    path = os.path.join(run, os.path.basename(listen))
    stderr_path = os.path.join(run, "service.stderr")
    user = {}
    if as_root():
        pw = pwd.getpwnam(WEB_USER)
        os.chown(run, pw.pw_uid, pw.pw_gid)
        user = dict(user=WEB_USER, group=WEB_USER, extra_groups=[])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    with open(stderr_path, "ab") as err:
        proc = subprocess.Popen([find_program("systemd-socket-activate"), "-l", path]
                                + argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                env=env, **user)

    on_exit(lambda: kill_tree(proc, signal.SIGKILL, 5.0))

    def log():
        with open(stderr_path, "rb") as fi:
            return fi.read().decode("utf-8", "replace")

    def socket_as_the_unit_says():
        if not wait_for(lambda: os.path.exists(path), 10):
            raise HarnessError("systemd-socket-activate made no socket: %s" % log())
        if as_root():
            os.chown(path, 0, grp.getgrnam(group).gr_gid)
        os.chmod(path, int(mode, 8))
    t.setup(socket_as_the_unit_says)
    ng = t.setup(lambda: Nginx(path).start())

    with t.claim("before the first connection nothing but the listener runs (the "
                 "service starts on demand)"):
        expect_eq(descendants(proc.pid), [], "processes")
        exe = os.readlink("/proc/%d/exe" % proc.pid)
        expect(os.path.basename(exe) == "systemd-socket-activate", "running %s" % exe)

    email, old, code = f.user_and_code()
    new = strong_password("Socket")
    r = ng.post_json({"validation_code": code, "password": new}, fixture=f)
    with t.claim("the first request through nginx starts the service on the inherited "
                 "socket (fd 3, LISTEN_FDS) and gets 200 with the token") as cl:
        cl.note(log()[-1500:])
        expect_token(r, CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email, new), 0, "check-password new")

    with t.claim("the service supervises --workers %d on that socket%s" % (
            workers, ", all as %s" % WEB_USER if as_root() else "")):
        expect(wait_for(lambda: len(descendants(proc.pid)) == workers, 5),
               "workers %r" % descendants(proc.pid))
        if as_root():
            uid = pwd.getpwnam(WEB_USER).pw_uid
            expect_eq({uid_of(p) for p in [proc.pid] + descendants(proc.pid)}, {uid},
                      "uids")

    reload_cmd = unit_value(svc, "Service", "ExecReload")
    with t.claim("ExecReload (%s) re-reads the config: the next 200 carries the new "
                 "client_id" % reload_cmd):
        expect_eq(reload_cmd, "/bin/kill -HUP $MAINPID", "ExecReload")
        f.write_config(client_id="reloaded-by-systemd")
        share_with_web_user(f)
        before = set(descendants(proc.pid))
        os.kill(proc.pid, signal.SIGHUP)
        expect(wait_for(lambda: len(descendants(proc.pid)) == workers
                        and not set(descendants(proc.pid)) & before, 10),
               "workers not replaced: %r" % descendants(proc.pid))
        e, o, c = f.user_and_code()
        expect_token(ng.post_json({"validation_code": c, "password": strong_password()},
                                  fixture=f), "reloaded-by-systemd", SCOPE, LIFETIME)

    kill_signal = unit_value(svc, "Service", "KillSignal")
    timeout = int(unit_value(svc, "Service", "TimeoutStopSec"))
    with t.claim("KillSignal (%s) stops the service with status 0 within TimeoutStopSec "
                 "(%d s), leaving the socket file to the socket unit" % (kill_signal,
                                                                        timeout)):
        kids = descendants(proc.pid)
        os.kill(proc.pid, getattr(signal, kill_signal))
        expect_eq(proc.wait(timeout), 0, "exit status")
        expect(all(uid_of(p) is None for p in kids), "workers left")
        expect(os.path.exists(path), "the program removed the socket it did not create")

    with t.claim("no password, code or token in the service's log"):
        expect(not f.leaks(log()), f.leak_report(log()))

    ng.stop()
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
