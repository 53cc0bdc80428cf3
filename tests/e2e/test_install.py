#!/usr/bin/env python3
"""test_install.py: README section 7's installation recipe, run as written
(issue 10, point 2).

The README must show docs/recipes/install.recipe, install-systemd.recipe
and install-spawn-fcgi.recipe verbatim.  In a copy of the clone, the
install recipe runs as root with only its first lines' places changed:
prefix, etc, run and log in a scratch directory, and `db` the client of a
private MariaDB.  It builds, installs, makes the system user, the
directory and files with their modes, the schema, the database user and
its grants, and checks the config as the service user; the spawn-fcgi
recipe then starts the service.  A reset through nginx (rendered from the
installed nginx.conf.example) proves the whole.  The systemd recipe's
units are checked by systemd-analyze (no systemd runs here).
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

from harness import (TAP, MariaDB, expect, expect_eq, expect_token, on_exit,
                     strong_password, wait_for)
from webservers import Nginx
from recipes import SRCDIR, mode, readme_shows, recipe

SKIP_TOP = {"_build", "run", ".git", "autom4te.cache"}
PLACES = "prefix=/usr/local etc=/etc/account-reset run=/run/account-reset log=/var/log/account-reset.log\n"
DB_LINE = 'db_socket=/run/mysqld/mysqld.sock db="mariadb"\n'


def main():
    t = TAP()
    scratch = tempfile.mkdtemp(prefix="ar-inst-", dir="/tmp")
    os.chmod(scratch, 0o755)  # the service user must reach etc/ and the database socket
    on_exit(lambda: shutil.rmtree(scratch, ignore_errors=True))
    had_user = subprocess.run(["id", "account-reset"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    if not had_user:
        on_exit(lambda: subprocess.run(["userdel", "account-reset"], stderr=subprocess.DEVNULL))

    def setup_db():
        base = os.path.join(scratch, "db")
        os.mkdir(base, 0o755)
        return MariaDB(basedir=base, schema=None).setup()
    db = t.setup(setup_db)
    clone = os.path.join(scratch, "clone")
    shutil.copytree(SRCDIR, clone, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == SRCDIR and n in SKIP_TOP])
    prefix, etc = os.path.join(scratch, "usr"), os.path.join(scratch, "etc", "account-reset")
    run, log = os.path.join(scratch, "run"), os.path.join(scratch, "account-reset.log")
    pid_file = os.path.join(run, "account-reset.pid")

    def stop_service():
        try:
            os.kill(int(open(pid_file).read()), 15)
        except (OSError, ValueError):
            pass
    on_exit(stop_service)

    install, systemd, spawn = (recipe("install.recipe"), recipe("install-systemd.recipe"),
                               recipe("install-spawn-fcgi.recipe"))
    with t.claim("README section 7 shows the three install recipes verbatim"):
        for name, text in (("install", install), ("systemd", systemd), ("spawn-fcgi", spawn)):
            expect(readme_shows(text), "the README does not show the %s recipe as it is" % name)
        expect(PLACES in install and DB_LINE in install, "the places lines changed")

    script = (install.replace(PLACES, "prefix=%s etc=%s run=%s log=%s\n" % (prefix, etc, run, log))
              .replace(DB_LINE, 'db_socket=%s db="mariadb --no-defaults -S %s -uroot"\n'
                       % (db.socket, db.socket)) + spawn)
    with t.claim("the recipe runs as root to the end (exit 0): build, install, user, "
                 "files, schema, grants, --check-config, spawn-fcgi") as cl:
        r = subprocess.run(["bash", "-e", "-c", script], cwd=clone, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-2000:])
        expect_eq(r.returncode, 0, "exit status")
        expect("%s/account-reset.conf: OK" % etc in out, "no --check-config OK")

    with t.claim("account-reset is a system user with no login shell"):
        pw = pwd.getpwnam("account-reset")
        expect(pw.pw_uid < 1000 and pw.pw_shell.endswith("nologin"), "user %r" % (pw,))

    with t.claim("the directory, config and option file have the documented owners and "
                 "modes (root 0755, 0644, root:account-reset 0640)"):
        expect_eq(mode(etc), ("0o755", "root", "root"), etc)
        expect_eq(mode(os.path.join(etc, "account-reset.conf"))[0], "0o644", "config")
        expect_eq(mode(os.path.join(etc, "my.cnf")), ("0o640", "root", "account-reset"), "my.cnf")
        expect(not re.search(r"^\s*password\s*=", open(os.path.join(etc, "account-reset.conf")).read(),
                             re.M), "a password in the config")

    with t.claim("make install put the programs in sbin and the units, examples and "
                 "schema in etc, as README's table says"):
        for f in ("sbin/account-reset", "sbin/account-reset-admin"):
            expect(os.access(os.path.join(prefix, f), os.X_OK), "%s missing" % f)
        for f in ("account-reset.socket", "account-reset.service", "nginx.conf.example",
                  "schema.sql", "schema-django.sql", "account-reset.conf.example"):
            expect(os.path.exists(os.path.join(etc, f)), "%s missing" % f)

    with t.claim("make install put the pages in share/account-reset/www (README, "
                 "\"The pages\")"):
        www = os.path.join(prefix, "share", "account-reset", "www")
        for f in ("forgot/index.html", "reset/index.html", "app.css", "site.js",
                  "favicon.svg", "js/common.js", "js/forgot.js", "js/reset.js",
                  "i18n/en.js", "i18n/de.js"):
            expect(os.path.exists(os.path.join(www, f)), "%s missing from %s" % (f, www))

    with t.claim("the database user has exactly the documented grants"):
        rows = [r[0] for r in db.sql("SHOW GRANTS FOR 'account_reset'@'localhost'")]
        text = " | ".join(rows)
        expect(re.search(r"GRANT SELECT, INSERT, UPDATE ON `account_reset`\.\*", text), text)
        expect(re.search(r"GRANT DELETE ON `account_reset`\.`attempt_failures`", text), text)
        expect(not re.search(r"DROP|ALTER|CREATE|ALL PRIVILEGES", text), text)

    sock = os.path.join(run, "account-reset.sock")
    with t.claim("spawn-fcgi made the socket root:www-data 0660, and the workers run as "
                 "account-reset"):
        expect_eq(mode(sock)[0::2], ("0o660", "www-data"), "socket")
        uids = set()

        def two_workers():
            sup = int(open(pid_file).read())
            kids = subprocess.run(["pgrep", "-P", str(sup)], stdout=subprocess.PIPE).stdout.split()
            uids.clear()
            uids.update(os.stat("/proc/%s" % k.decode()).st_uid for k in kids)
            return len(kids) == 2
        wait_for(two_workers, 15, step=0.2)
        expect_eq(uids, {pwd.getpwnam("account-reset").pw_uid}, "worker uids")

    ng = t.setup(lambda: Nginx(sock, template=os.path.join(etc, "nginx.conf.example")).start())
    admin = [os.path.join(prefix, "sbin", "account-reset-admin")]
    with t.claim("a reset through nginx works with the installed service, and the log "
                 "goes to log_file") as cl:
        email, old, new = "operator@example.test", strong_password("Inst"), strong_password("New")
        r = subprocess.run(admin + ["create-user", email], input=(old + "\n").encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        expect_eq(r.returncode, 0, "create-user: %r" % r.stderr)
        code = subprocess.run(admin + ["issue-code", email], stdout=subprocess.PIPE,
                              check=True).stdout.decode().strip()
        resp = ng.request("POST", json.dumps({"validation_code": code, "password": new}).encode(),
                          {"Content-Type": "application/json"})
        cl.note(resp.summary())
        expect_token(resp, "account-reset", "read write", 3600)
        r = subprocess.run(admin + ["check-password", email], input=(new + "\n").encode())
        expect_eq(r.returncode, 0, "check-password")
        time.sleep(0.3)
        expect("status=200" in open(log).read(), "no request line in %s" % log)

    with t.claim("systemd-analyze verify accepts the installed units"):
        r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            os.path.join(etc, "account-reset.socket"),
                            os.path.join(etc, "account-reset.service")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = r.stdout.decode()
        # The unit names /usr/local/sbin/account-reset, which this scratch
        # install does not create; everything else must pass.
        bad = [l for l in out.splitlines() if l.strip() and "/usr/local/sbin/account-reset" not in l
               and "Failed to prepare filename" not in l]
        expect(not bad, "systemd-analyze: %r" % bad)

    ng.stop()
    stop_service()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
