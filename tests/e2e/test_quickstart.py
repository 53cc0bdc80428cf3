#!/usr/bin/env python3
"""test_quickstart.py: the README's quick start and its by-hand recipes,
run as written (issue 10, points 3 and 4).

Two copies of the clone (the source tree and the finished build, so that
scripts/build has nothing to redo) each run `bash scripts/quickstart
--port N`: each gets its own runtime directory; a port already in use is
refused before anything starts; a failure after MariaDB started stops it
and removes the runtime directory; `stop` leaves no process and no option
file in /run.  The by-hand recipes of README section 3
(docs/recipes/by-hand-root.recipe and by-hand-user.recipe, which the README must
show verbatim) are run as root and as the ordinary user nobody.
"""

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from browser import Browser
from harness import TAP, expect, expect_eq, http_request, on_exit, wait_for
from webservers import free_port

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.path.abspath(os.environ.get("AR_BUILDDIR") or SRCDIR)
SKIP_TOP = {"_build", "run", ".git", "autom4te.cache"}


def make_clone(top, name):
    """A copy of the source tree with the finished build in _build/default."""
    dst = os.path.join(top, name)
    shutil.copytree(SRCDIR, dst, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == SRCDIR and n in SKIP_TOP])
    os.makedirs(os.path.join(dst, "_build"), exist_ok=True)
    shutil.copytree(BUILDDIR, os.path.join(dst, "_build", "default"), symlinks=True,
                    ignore=shutil.ignore_patterns("run-record", "*.log", "*.trs"))
    on_exit(lambda: quickstart(dst, "stop"))
    return dst


def quickstart(clone, *args, timeout=600):
    r = subprocess.run(["bash", os.path.join(clone, "scripts", "quickstart")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout, cwd="/")
    r.text = r.stdout.decode("utf-8", "replace")
    return r


def env_of(clone):
    out = quickstart(clone, "env").text
    return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def pid_alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except (OSError, ValueError):
        return False


def gone(pid_file, timeout=15.0):
    """True once the process the pid file names has exited (SIGTERM lets
    it finish first), or when there is no such file."""
    import time
    try:
        pid = open(pid_file).read().strip()
    except OSError:
        return True
    return wait_for(lambda: not pid_alive(pid), timeout, step=0.1)


def processes_under(path):
    """Pids whose command line names path."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if path.encode() in f.read():
                    out.append(int(p))
        except OSError:
            pass
    return out


def api_status(port):
    r = http_request("127.0.0.1", port, "POST", "/api/v2/account/reset/",
                     b'{"validation_code":"nope-nope-nope","password":"Valid-Passw0rd"}',
                     {"Content-Type": "application/json"})
    return r.status, (r.json or {}).get("error")


def readme_shows(recipe):
    """True when README holds the recipe's lines verbatim, indented 4."""
    readme = open(os.path.join(SRCDIR, "README")).read()
    text = open(os.path.join(SRCDIR, "docs", "recipes", recipe)).read()
    block = "".join("    " + l if l.strip() else l for l in text.splitlines(True))
    return block in readme, text


def main():
    t = TAP()
    top = tempfile.mkdtemp(prefix="ar-qs-", dir="/tmp")
    os.chmod(top, 0o700)  # as a clone in a private home: the workers cannot enter it
    on_exit(lambda: shutil.rmtree(top, ignore_errors=True))
    a = t.setup(make_clone, top, "a")
    b = t.setup(make_clone, top, "b")
    pa, pb = free_port(), free_port()

    with t.claim("bash scripts/quickstart --port N brings the stack up and resets "
                 "(200 and check-password), from a clone in a 0700 directory") as cl:
        r = quickstart(a, "--port", str(pa))
        cl.note(r.text[-1500:])
        expect_eq(r.returncode, 0, "exit status")
        expect("HTTP/1.1 200 OK" in r.text and "the new password is stored" in r.text,
               "no reset in the output")
        expect("127.0.0.1:%d" % pa in r.text, "port not shown")
    ea = env_of(a)

    # The quick start's mail, opened in Chromium: a fresh recover request
    # to its nginx, the mail its mailer delivers to its sink, the link.
    link, new_pw = None, "Chromium-" + os.urandom(4).hex() + "!Q"
    with t.claim("a recover request to the quick start's nginx brings a mail whose "
                 "link is its reset page"):
        maildir = os.path.join(a, "run", "mail")

        def mails():
            return sorted(n for n in os.listdir(maildir) if n.endswith(".eml"))
        before = len(mails())
        r2 = http_request("127.0.0.1", pa, "POST", "/api/v2/account/recover/",
                          json.dumps({"email": ea.get("email")}).encode(),
                          {"Content-Type": "application/json"})
        expect_eq(r2.status, 202, "recover status")
        expect(wait_for(lambda: len(mails()) > before, 30), "no new mail in %s" % maildir)
        newest = mails()[-1]
        with open(os.path.join(maildir, newest), "rb") as fh:
            msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
        m = re.search(r"http://127\.0\.0\.1:%d/account/reset/#code=[A-Za-z0-9_-]{32}"
                      r"[A-Za-z0-9_&=-]*" % pa, msg.get_body(("plain",)).get_content())
        expect(m is not None, "no reset page link in %s" % newest)
        link = m.group(0)
    if link:
        Browser(t, lambda v: None).run("link", link=link, good=new_pw,
                                       what="quick start's mail", shot="quickstart-reset-done")
        with t.claim("... and the password set in Chromium is the one stored "
                     "(account-reset-admin check-password)"):
            r3 = subprocess.run([os.path.join(ea["bin"], "account-reset-admin"), "--config",
                                 ea["conf"], "check-password", ea["email"]],
                                input=(new_pw + "\n").encode(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
            expect_eq(r3.returncode, 0, "check-password: %r" % r3.stdout)

    with t.claim("the quick start prints the forgot page's URL, nginx serves it with "
                 "the pages' headers, and its mail links to the reset page it serves"):
        forgot = "http://127.0.0.1:%d/account/forgot/" % pa
        expect(forgot in r.text, "no forgot page URL in the output")
        page = http_request("127.0.0.1", pa, "GET", "/account/forgot/", b"", {})
        expect_eq(page.status, 200, "status")
        expect("frame-ancestors 'none'" in page.header("content-security-policy", ""),
               page.summary(300))
        expect("http://127.0.0.1:%d/account/reset/#code=" % pa in r.text,
               "the mail's link is not the reset page")
        page = http_request("127.0.0.1", pa, "GET", "/account/reset/", b"", {})
        expect_eq(page.status, 200, "reset page status")

    with t.claim("the runtime directory is the clone's own, root:www-data 0750, and its "
                 "option file is root:www-data 0640"):
        expect(re.match(r"/run/account-reset-demo-[0-9a-f]{10}\Z", ea.get("rt", "")),
               "rt %r" % ea.get("rt"))
        st = os.stat(os.path.join(ea["rt"], "my.cnf"))
        expect_eq(oct(st.st_mode & 0o777), "0o640", "mode")
        import grp
        expect_eq(grp.getgrgid(st.st_gid).gr_name, "www-data", "group")
        st = os.stat(ea["rt"])
        expect_eq((oct(st.st_mode & 0o777), grp.getgrgid(st.st_gid).gr_name),
                  ("0o750", "www-data"), "the runtime directory (issue 19, point 10)")
        expect_eq(api_status(pa), (400, "invalid_validation_code"), "answer through nginx")

    with t.claim("another local user cannot log in to the quick start's MariaDB as root "
                 "(root authenticates by its unix socket; issue 19, point 10)") as cl:
        r = subprocess.run(["runuser", "-u", "nobody", "--", "mariadb", "--no-defaults",
                            "-S", ea["sock"], "-uroot", "-e", "SELECT 1"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=60)
        cl.note(r.stdout.decode("utf-8", "replace"))
        expect(r.returncode != 0, "nobody logged in as MariaDB root")

    for bad in ("0", "70000", "http"):
        with t.claim("--port %s is refused before anything starts" % bad):
            r = quickstart(b, "--port", bad)
            expect(r.returncode != 0, "exit status 0")
            expect("expected a port number" in r.text, "output %r" % r.text[-300:])
            expect(not os.path.exists(env_of(b)["rt"]), "runtime directory made")

    with t.claim("a second clone on the first one's port is refused before it starts "
                 "anything, and the first keeps serving") as cl:
        mpid = open(os.path.join(a, "run", "mariadb.pid")).read().strip()
        r = quickstart(b, "--port", str(pa))
        cl.note(r.text[-800:])
        expect(r.returncode != 0, "exit status 0")
        expect("already listens on 127.0.0.1:%d" % pa in r.text, "no port message")
        expect(not os.path.exists(env_of(b)["rt"]), "b's runtime directory exists")
        expect(not processes_under(os.path.join(b, "run")), "b's MariaDB runs")
        expect(pid_alive(mpid), "a's MariaDB stopped")
        expect_eq(api_status(pa), (400, "invalid_validation_code"), "a's answer")

    with t.claim("the second clone on its own port runs beside the first, with its "
                 "own runtime directory and database"):
        r = quickstart(b, "--port", str(pb))
        expect_eq(r.returncode, 0, "exit status (%s)" % r.text[-800:])
        eb = env_of(b)
        expect(eb["rt"] != ea["rt"], "same runtime directory")
        expect_eq(api_status(pa), (400, "invalid_validation_code"), "a's answer")
        expect_eq(api_status(pb), (400, "invalid_validation_code"), "b's answer")
        expect(pid_alive(mpid), "a's MariaDB stopped")

    with t.claim("README section 3 shows docs/recipes/by-hand-root.recipe verbatim, and "
                 "as root it resets through spawn-fcgi, logs to log_file, stops") as cl:
        shown, text = readme_shows("by-hand-root.recipe")
        expect(shown, "the README does not show the recipe as it is")
        r = subprocess.run(["bash", "-e", "-c", text], cwd=a, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-1500:])
        expect_eq(r.returncode, 0, "exit status")
        expect("Status: 200 OK" in out and '"access_token"' in out, "no token")
        expect(re.search(r"account-reset\[\d+\]: request id=\S+ method=POST .*status=200", out),
               "no log line")
        expect(gone(os.path.join(ea["rt"], "by-hand.pid")), "the responder still runs")

    with t.claim("README section 3 shows docs/recipes/by-hand-user.recipe verbatim, and "
                 "after 'quickstart allow nobody' the user nobody resets with it") as cl:
        shown, text = readme_shows("by-hand-user.recipe")
        expect(shown, "the README does not show the recipe as it is")
        r = quickstart(a, "allow", "nobody")
        expect_eq(r.returncode, 0, "allow: %s" % r.text)
        expect(os.path.join(ea["rt"], "users", "nobody", "env") in r.text, "path not printed")
        text = text.replace("/run/account-reset-demo-ID", ea["rt"])
        r = subprocess.run(["runuser", "-u", "nobody", "--", "bash", "-e", "-c", text],
                           cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-1500:])
        expect_eq(r.returncode, 0, "exit status")
        expect("Status: 200 OK" in out and '"access_token"' in out, "no token")
        expect(re.search(r"request id=\S+ method=POST .*status=200", out), "no log line")
        expect(gone(os.path.join(ea["rt"], "users", "nobody", "by-hand.pid")),
               "nobody's responder still runs")

    with t.claim("quickstart stop stops every process and removes the runtime "
                 "directory (no option file with the password left in /run)"):
        for clone, e in ((a, ea), (b, env_of(b))):
            r = quickstart(clone, "stop")
            expect_eq(r.returncode, 0, "exit status")
            expect(not os.path.exists(e["rt"]), "%s still there" % e["rt"])
            expect(not processes_under(e["rt"]), "processes of %s run" % e["rt"])
            expect(not processes_under(os.path.join(clone, "run", "db")), "MariaDB runs")

    with t.claim("a failure after MariaDB started (the responder does not start) stops "
                 "MariaDB and removes the runtime directory") as cl:
        c = make_clone(top, "c")
        prog = os.path.join(c, "_build", "default", "account-reset")
        st = os.stat(prog)
        with open(prog, "w") as fh:
            fh.write("#!/bin/sh\nexit 1\n")
        os.utime(prog, (st.st_atime, st.st_mtime))  # make sees nothing to rebuild
        r = quickstart(c, "--port", str(free_port()))
        cl.note(r.text[-800:])
        expect(r.returncode != 0, "exit status 0")
        expect("failed; stopping what this run started" in r.text, "no cleanup message")
        expect(not os.path.exists(env_of(c)["rt"]), "runtime directory left")
        expect(not processes_under(os.path.join(c, "run", "db")), "MariaDB left running")

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
