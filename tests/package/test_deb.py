#!/usr/bin/env python3
"""test_deb.py: the Debian package (issue 20, point 3), as CI builds it.

The "deb" stage of scripts/test runs this file (not "make check": it
installs a package on the machine, which no other test may see half-way).
In a copy of the tree (the source stays clean) it builds the package with
dpkg-buildpackage -us -uc -b, runs lintian (no error, no warning that is
not overridden with a comment saying why), installs the .deb with dpkg,
checks the users, files and modes, points the option file at a private
MariaDB and runs --check-config and the admin CLI from /usr/sbin as the
service user would, then removes the package (the configuration stays),
purges it, and checks that nothing of it is left but the two system
users, which README.Debian says purge keeps, and which then own no file.

Needs root and a machine without the package or /etc/account-reset (it
refuses otherwise rather than touch an operator's installation).
"""

import grp
import gzip
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

from smtpd import free_port
from harness import TAP, MariaDB, on_exit, parse_cgi_output, scaled, strong_password

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP_TOP = {"_build", "run", ".git", "autom4te.cache"}
PKG = "account-reset"
ETC = "/etc/account-reset"
USERS = ("account-reset", "account-reset-mailer")
UNITS = ("account-reset.service", "account-reset.socket", "account-reset-mailer.service")


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    r = subprocess.run(cmd, **kw)
    out = r.stdout.decode("utf-8", "replace") if r.stdout is not None else ""
    return r.returncode, out


def dpkg(*args):
    """dpkg ARGS; while another apt or dpkg holds the lock (a parallel
    install on a shared machine), waits for it, up to 10 minutes."""
    deadline = time.monotonic() + scaled(600)
    while True:
        rc, out = run(["dpkg"] + list(args))
        if rc == 0 or "lock" not in out or time.monotonic() > deadline:
            return rc, out
        time.sleep(2)


def debs_beside_source():
    """The packages a build in the source tree itself would leave beside it."""
    parent = os.path.dirname(SRCDIR)
    return sorted(f for f in os.listdir(parent) if re.match(r"account-reset.*\.(deb|changes)$", f))


def installed():
    rc, out = run(["dpkg-query", "-W", "-f=${Status}", PKG])
    return rc == 0 and "not-installed" not in out and out.strip() != ""


def mode(path):
    st = os.stat(path)
    return (oct(st.st_mode & 0o7777), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def main():
    t = TAP()
    if os.geteuid() != 0:
        t.skip("the Debian package builds, installs and purges", "needs root")
        return t.done()
    for tool in ("dpkg-buildpackage", "lintian", "dh"):
        if shutil.which(tool) is None:
            t.bail("%s not found: scripts/install-deps test installs it" % tool)
    if installed() or os.path.exists(ETC):
        t.bail("%s is installed or %s exists: this test installs and purges "
               "the package, and will not touch that" % (PKG, ETC))

    scratch = tempfile.mkdtemp(prefix="ar-deb-", dir="/tmp")
    os.chmod(scratch, 0o755)  # the service users reach the database socket
    on_exit(lambda: shutil.rmtree(scratch, ignore_errors=True))
    # Whatever happens below, the machine is left without the package.
    on_exit(lambda: installed() and dpkg("--purge", PKG))

    # --- build, in a copy ------------------------------------------------
    build = os.path.join(scratch, "build")
    src = os.path.join(build, "account-reset")
    shutil.copytree(SRCDIR, src, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == SRCDIR and n in SKIP_TOP])
    before = sorted(os.listdir(os.path.join(SRCDIR, "debian"))), debs_beside_source()
    rc, out = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src)
    if not t.ok(rc == 0, "dpkg-buildpackage -us -uc -b builds the package", out[-4000:]):
        return t.done()
    t.ok((sorted(os.listdir(os.path.join(SRCDIR, "debian"))), debs_beside_source()) == before,
         "the build left the source tree as it was (it ran in a copy)")
    debs = [f for f in os.listdir(build) if re.match(r"account-reset_.*\.deb$", f)]
    changes = [f for f in os.listdir(build) if f.endswith(".changes")]
    if not t.ok(len(debs) == 1 and len(changes) == 1, "one .deb and one .changes",
                "%r %r" % (debs, changes)):
        return t.done()
    deb = os.path.join(build, debs[0])
    with open(os.path.join(SRCDIR, "configure.ac")) as f:
        upstream = re.search(r"AC_INIT\(\[account-reset\], \[([^]]+)\]", f.read()).group(1)
    rc, version = run(["dpkg-parsechangelog", "-S", "Version"], cwd=src)
    t.ok(version.strip().rsplit("-", 1)[0] == upstream,
         "debian/changelog's version is configure.ac's (%s) with a Debian revision" % upstream,
         "debian/changelog: %s" % version.strip())

    # --- lintian ----------------------------------------------------------
    rc, out = run(["lintian", "--fail-on", "error", os.path.join(build, changes[0])])
    tags = [l for l in out.splitlines() if re.match(r"^[EW]: ", l)]
    t.ok(rc == 0 and not [l for l in tags if l.startswith("E: ")],
         "lintian reports no error", out[-3000:])
    t.ok(not tags, "lintian reports no warning that debian/ does not override", "\n".join(tags))
    with open(os.path.join(SRCDIR, "debian", "account-reset.lintian-overrides")) as f:
        lines = [l.rstrip("\n") for l in f]
    uncommented = [l for i, l in enumerate(lines)
                   if l.strip() and not l.startswith("#")
                   and (i == 0 or not lines[i - 1].startswith("#"))]
    t.ok(not uncommented, "each lintian override comes after a comment saying why",
         "\n".join(uncommented))

    # --- what the package holds -------------------------------------------
    rc, listing = run(["dpkg-deb", "-c", deb])
    paths = {l.split()[-1].lstrip(".") for l in listing.splitlines() if l.strip()}
    want = ["/usr/sbin/account-reset", "/usr/sbin/account-reset-admin",
            "/usr/sbin/account-reset-mailer",
            "/usr/lib/account-reset/cgi-bin/account-reset.cgi",
            ETC + "/account-reset.conf", ETC + "/mail/en.txt", ETC + "/mail/de.txt",
            "/usr/share/account-reset/schema.sql", "/usr/share/account-reset/schema-django.sql",
            "/usr/share/doc/account-reset/README.Debian.gz",
            "/usr/share/doc/account-reset/examples/nginx.conf.example",
            "/usr/share/man/man8/account-reset.8.gz"] + \
        ["/lib/systemd/system/" + u for u in UNITS]
    t.ok(not [p for p in want if p not in paths],
         "the package holds the programs, CGI program, templates, schema, units and docs",
         "missing: %s" % [p for p in want if p not in paths])
    ctl = os.path.join(scratch, "ctl")
    run(["dpkg-deb", "-e", deb, ctl])
    with open(os.path.join(ctl, "conffiles")) as f:
        conf = set(f.read().split())
    t.ok({ETC + "/account-reset.conf", ETC + "/mail/en.txt"} <= conf and
         not [c for c in conf if not c.startswith(ETC + "/")],
         "the configuration and templates in /etc/account-reset are the conffiles",
         repr(sorted(conf)))

    # --- install ------------------------------------------------------------
    rc, out = dpkg("-i", deb)
    if not t.ok(rc == 0 and installed(), "dpkg -i installs the package", out[-3000:]):
        return t.done()
    t.ok(all(user_exists(u) and pwd.getpwnam(u).pw_shell == "/usr/sbin/nologin"
             for u in USERS),
         "postinst made the system users account-reset and account-reset-mailer (no shell)")
    t.ok(mode(ETC + "/my.cnf") == ("0o640", "root", "account-reset") and
         mode(ETC + "/mailer.cnf") == ("0o640", "root", "account-reset-mailer"),
         "postinst wrote each option file root:SERVICE-USER 0640",
         "%r %r" % (mode(ETC + "/my.cnf"), mode(ETC + "/mailer.cnf")))
    with open("/lib/systemd/system/account-reset.service") as f:
        unit = f.read()
    t.ok("ExecStart=/usr/sbin/account-reset " in unit and "/usr/local" not in
         "".join(l for l in unit.splitlines() if not l.startswith("#")),
         "the installed unit runs /usr/sbin/account-reset")
    rc, out = run(["systemd-analyze", "verify", "--man=no"] +
                  ["/lib/systemd/system/" + u for u in UNITS])
    bad = [l for l in out.splitlines() if l.strip() and "account-reset" in l]
    t.ok(not bad, "systemd-analyze verify accepts the installed units", out[-1500:])
    enabled = [u for u in UNITS
               if os.path.exists("/etc/systemd/system/sockets.target.wants/" + u) or
               os.path.exists("/etc/systemd/system/multi-user.target.wants/" + u)]
    t.ok(not enabled, "installing enables no unit (the responder needs a database first)",
         repr(enabled))

    # --- run it, against a private MariaDB ----------------------------------
    def setup_db():
        base = os.path.join(scratch, "db")
        os.mkdir(base, 0o755)
        return MariaDB(basedir=base, schema="/usr/share/account-reset/schema.sql").setup()
    db = t.setup(setup_db)
    os.chmod(db.socket, 0o777)
    # The database users and grants exactly as README.Debian gives them.
    with gzip.open("/usr/share/doc/account-reset/README.Debian.gz", "rt") as f:
        statements = [l.strip() for l in f if re.match(r"^\s+(CREATE USER|GRANT) ", l)]
    passwords = {"account_reset": "deb-test-pw", "account_reset_mailer": "deb-mailer-pw"}
    sql = []
    for st in statements:
        who = re.search(r"'(account_reset\w*)'@", st).group(1)
        sql.append(st.replace("IDENTIFIED BY '...'", "IDENTIFIED BY '%s'" % passwords[who]))
    t.ok(len(statements) >= 5, "README.Debian gives the database users and their grants",
         repr(statements))
    db.sql("\n".join(sql), database=None)

    def point_at_db(path, user):
        with open(path) as f:
            text = f.read()
        text = re.sub(r"(?m)^socket\s*=.*$", "socket = " + db.socket, text)
        text = re.sub(r"(?m)^user\s*=.*$", "user = " + user, text)
        text = re.sub(r"(?m)^password\s*=.*$", "password = " + passwords[user], text)
        with open(path, "w") as f:  # keeps the file's mode and group
            f.write(text)
    point_at_db(ETC + "/my.cnf", "account_reset")
    point_at_db(ETC + "/mailer.cnf", "account_reset_mailer")

    rc, out = run(["/usr/sbin/account-reset", "--check-config", "--user", "account-reset"])
    t.ok(rc == 0 and "OK" in out,
         "/usr/sbin/account-reset --check-config --user account-reset: OK", out)
    with open(ETC + "/account-reset.conf", "a") as f:
        f.write("reset_url = https://app.example.org/reset\n"
                "mail_from = no-reply@example.org\n"
                "smtp_url = smtp://127.0.0.1:%d\nsmtp_require_tls = off\n" % free_port())
    rc, out = run(["/usr/sbin/account-reset-mailer", "--check-config",
                   "--user", "account-reset-mailer"])
    t.ok(rc == 0 and "OK" in out, "/usr/sbin/account-reset-mailer --check-config "
         "--user account-reset-mailer: OK (its own option file, mailer.cnf)", out)
    rc, out = run(["/usr/sbin/account-reset-mailer", "--check-config", "--user", "account-reset"])
    t.ok(rc != 0 and "mailer_mysql_option_file" in out and "mailer.cnf" in out,
         "the mailer's check refuses a user that cannot read mailer.cnf, naming the key", out)
    rc, out = run(["/usr/sbin/account-reset", "--version"])
    t.ok(rc == 0 and out.startswith("account-reset "), "/usr/sbin/account-reset --version", out)
    rc, out = run(["/usr/sbin/account-reset-admin", "queue"])
    t.ok(rc == 0, "/usr/sbin/account-reset-admin queue reads the database through "
         "/etc/account-reset/my.cnf", out)
    pw = strong_password()
    rc, out = run(["/usr/sbin/account-reset-admin", "create-user", "deb@example.org"],
                  input=(pw + "\n").encode())
    rc2, out2 = run(["/usr/sbin/account-reset-admin", "issue-code", "deb@example.org"])
    t.ok(rc == 0 and rc2 == 0 and db.sql_value(
        "SELECT COUNT(*) FROM reset_codes c JOIN users u ON u.id = c.user_id "
        "WHERE u.email = 'deb@example.org'") == "1",
        "/usr/sbin/account-reset-admin create-user and issue-code write to the database",
        out + out2)
    # The mailer as its unit runs it, on its own database user: the
    # request is worked (no relay listens, so it waits for a retry).
    db.sql("INSERT INTO mail_queue (request_id, client_key, email, locale, created_at, "
           "enqueued_at, due_at) VALUES ('deb-1', '10.0.0.1', 'deb@example.org', 'en', "
           "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    rc, out = run(["/usr/sbin/account-reset-mailer", "--once", "--user", "account-reset-mailer"])
    row = db.sql("SELECT state, attempts FROM mail_queue WHERE request_id = 'deb-1'")
    t.ok(rc == 0 and row and row[0][1] == "1" and "state=retry" in out,
         "/usr/sbin/account-reset-mailer --once, as account-reset-mailer through mailer.cnf "
         "with README.Debian's grants, works the queue", "%r %s" % (row, out[-1500:]))
    env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
               SCRIPT_NAME="/api/v2/account", PATH_INFO="/health", REMOTE_ADDR="127.0.0.1",
               SERVER_PROTOCOL="HTTP/1.1")
    cgi = subprocess.run(["setpriv", "--reuid=account-reset", "--regid=account-reset",
                          "--clear-groups", "/usr/lib/account-reset/cgi-bin/account-reset.cgi"],
                         env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        resp = parse_cgi_output(cgi.stdout)
    except ValueError:
        resp = None
    t.ok(resp is not None and resp.status == 200 and isinstance(resp.json, dict),
         "the CGI program, run as the service user, answers GET health 200 (the database is up)",
         "%r\n%s" % (cgi.stdout[:400], cgi.stderr.decode(errors="replace")[-400:]))
    db.stop()

    # --- remove, then purge -------------------------------------------------
    rc, out = dpkg("--remove", PKG)
    t.ok(rc == 0 and not os.path.exists("/usr/sbin/account-reset") and
         os.path.exists(ETC + "/account-reset.conf") and os.path.exists(ETC + "/my.cnf"),
         "dpkg --remove removes the programs and keeps /etc/account-reset", out[-2000:])
    rc, out = dpkg("--purge", PKG)
    t.ok(rc == 0 and not installed(), "dpkg --purge purges the package", out[-2000:])
    left = sorted(p for p in paths if p not in ("/", "") and os.path.lexists(p)
                  and not os.path.isdir(p))
    t.ok(not left, "no file of the package is left after purge", "\n".join(left))
    dirs = [d for d in (ETC, "/usr/lib/account-reset", "/usr/share/account-reset",
                        "/usr/share/doc/account-reset") if os.path.lexists(d)]
    t.ok(not dirs, "no directory of the package is left (/etc/account-reset neither)",
         repr(dirs))
    state = []
    for top in ("/etc/systemd/system", "/var/lib/systemd/deb-systemd-helper-enabled",
                "/var/lib/systemd/deb-systemd-helper-masked"):
        for d, _, files in os.walk(top):
            state += [os.path.join(d, f) for f in files if f.startswith("account-reset")]
    t.ok(not state, "no unit enablement state is left", "\n".join(state))
    t.ok(all(user_exists(u) for u in USERS),
         "the system users stay after purge, as README.Debian says")
    uids = [str(pwd.getpwnam(u).pw_uid) for u in USERS if user_exists(u)]
    owned = []
    for top in ("/etc", "/usr", "/var/lib", "/var/log", "/lib"):
        rc, out = run(["find", top, "-xdev", "(", "-uid", uids[0]] +
                      sum([["-o", "-uid", u] for u in uids[1:]], []) + [")", "-print"],
                      stderr=subprocess.DEVNULL)
        owned += out.split()
    t.ok(not owned, "the users that stay own no file", "\n".join(owned[:20]))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
