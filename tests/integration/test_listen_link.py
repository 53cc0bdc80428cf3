#!/usr/bin/env python3
"""test_listen_link.py: a link swapped in for a unix socket right after
bind() must not redirect the socket's mode or group to another file
(issue 19, "Also").  The program used to chmod() and chown() the socket
by path after bind(); a local user who can write the socket's directory
could replace the socket with a link to any file in that moment, and
the root supervisor would change that file's mode and group.  Now the
mode comes from the umask at bind() and the group is set with lchown(),
which changes a link itself.

The race is won every time by a preloaded bind() (tests/tools/bind-swap.c)
that puts the link in place as soon as bind() returns, on the socket of
account-reset --listen unix:PATH --socket-group nogroup (the opener the
--metrics socket shares, base/listen_socket.c)."""

import grp
import os
import shutil
import socket
import subprocess

import harness
from harness import TAP, Fixture, expect, expect_eq, make_tempdir, on_exit, scaled, wait_for


def build_shim(srcdir, directory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    out = os.path.join(directory, "bind-swap.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", out,
                    os.path.join(srcdir, "tests", "tools", "bind-swap.c"), "-ldl"],
                   check=True, capture_output=True)
    return out


def main():
    t = TAP()
    if os.geteuid() != 0:
        t.skip("a link swapped in after bind() redirects nothing", "needs root")
        return t.done()
    work = make_tempdir("ar-listen-link-")
    os.chmod(work, 0o755)
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    shim = t.setup(build_shim, f.srcdir, work)
    if shim is None:
        t.skip("a link swapped in after bind() redirects nothing", "no C compiler")
        return t.done()
    target = os.path.join(work, "root-owned-file")
    with open(target, "w") as fh:
        fh.write("not the program's\n")
    os.chown(target, 0, 0)
    os.chmod(target, 0o600)
    sock = os.path.join(work, "fcgi.sock")
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = harness._base_env()
    env.update({"ACCOUNT_RESET_CONFIG": f.config_path, "LD_PRELOAD": shim,
                "BIND_SWAP_PATH": sock, "BIND_SWAP_TARGET": target,
                # A preloaded library before an ASan runtime is fine here.
                "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"})
    errlog = open(os.path.join(work, "stderr.log"), "wb")
    proc = subprocess.Popen([f.responder, "--listen", "unix:" + sock, "--workers", "1",
                             "--allow-root", "--socket-group", "nogroup"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=errlog, env=env)
    on_exit(lambda: proc.poll() is None and (proc.terminate(), proc.wait(30)))

    def listening():
        # The socket, moved aside, accepts once the supervisor has gone
        # past its group change and called listen().
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            try:
                c.connect(sock + ".bound")
                return True
            except OSError:
                return False

    with t.claim("the attack ran: right after bind() the socket path became a link to "
                 "a root-owned file, and the supervisor went on to listen"):
        expect(wait_for(lambda: proc.poll() is not None or listening(), scaled(30)),
               "not listening")
        expect(proc.poll() is None, "the supervisor exited: %r"
               % open(os.path.join(work, "stderr.log"), "rb").read()[-500:])
        expect(os.path.islink(sock), "%s is not a link" % sock)

    with t.claim("the file the link points to keeps its mode (0600) and group (root)"):
        st = os.stat(target)
        expect_eq(oct(st.st_mode & 0o777), "0o600", "mode")
        expect_eq(st.st_gid, 0, "group")

    with t.claim("--socket-group went to the link itself (lchown)"):
        expect_eq(os.lstat(sock).st_gid, grp.getgrnam("nogroup").gr_gid, "link's group")

    proc.terminate()
    proc.wait(scaled(30))
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
