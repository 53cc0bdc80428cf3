#!/usr/bin/env python3
"""test_shared_hosting.py: README's shared-hosting recipe, as a customer
follows it, under Debian's apache2-suexec-pristine (issue 20, point 8).

The README must show docs/recipes/shared-hosting.recipe verbatim.  The
test plays the host: it makes an ordinary user (uid >= 1000) whose home
is under /var/www (suexec-pristine's document root, compiled in), a
database and a database user for it in a private MariaDB, and a private
Apache (mod_cgid, mod_suexec, mod_rewrite) with a virtual host for the
customer: DocumentRoot ~/public_html with AllowOverride FileInfo,
ScriptAlias /cgi-bin/ ~/cgi-bin/, SuexecUserGroup the customer.  Then,
as the customer (no root), the recipe builds and installs under $HOME,
writes the configuration and an option file only the customer can read,
loads the schema, maps the API paths with .htaccess, checks the config.

Claims: the recipe runs as the customer; the files' owners and modes;
a reset and a health check through Apache, the CGI program run by suexec
as the customer (suexec's log says so); and what goes wrong without
suexec (the same virtual host without SuexecUserGroup): the program runs
as www-data, cannot read the option file, answers 500 in JSON, and the
error log says why.
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
                     strong_password)
from webservers import _WebServer, find_program
from recipes import SRCDIR, mode, readme_shows

SKIP_TOP = {"_build", "run", ".git", "autom4te.cache"}
PLACES = "ar=$HOME/ar www=$HOME/public_html cgi=$HOME/cgi-bin\n"
DB_LINE = "db_socket=/run/mysqld/mysqld.sock db_name=customer db_user=customer\n"
SUEXEC = "/usr/lib/apache2/suexec"
SUEXEC_LOG = "/var/log/apache2/suexec.log"
MODULES = ("mpm_event", "authz_core", "alias", "cgid", "suexec", "rewrite", "env")


class HostApache(_WebServer):
    """The host's Apache: one virtual host for the customer."""

    name = "apache"

    def __init__(self, home, user, suexec=True):
        super().__init__("ar-hosting-apache-")
        self.home, self.user, self.suexec = home, user, suexec
        self.httpd = find_program("apache2")

    def render(self, listen):
        p = self.prefix
        for d in ("run", "log"):
            os.makedirs(os.path.join(p, d), exist_ok=True)
        lines = ['ServerRoot "%s"' % p, 'DefaultRuntimeDir "%s/run"' % p,
                 'PidFile "%s/run/httpd.pid"' % p, 'ErrorLog "%s/log/error.log"' % p,
                 "LogLevel info", "ServerName localhost", "Listen " + listen]
        lines += ["LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m)
                  for m in MODULES]
        lines += ['ScriptSock "%s/run/cgid.sock"' % p, "User www-data", "Group www-data",
                  "StartServers 1", "ServerLimit 2", "ThreadsPerChild 8",
                  "MaxRequestWorkers 16", "TraceEnable off",
                  "<VirtualHost %s>" % listen, "ServerName customer.test",
                  'DocumentRoot "%s/public_html"' % self.home,
                  'ScriptAlias /cgi-bin/ "%s/cgi-bin/"' % self.home,
                  'ErrorLog "%s/log/customer.error.log"' % p]
        if self.suexec:
            lines.append("SuexecUserGroup %s %s" % (self.user, self.user))
        lines += ['<Directory "%s/public_html">' % self.home, "AllowOverride FileInfo",
                  "Require all granted", "</Directory>",
                  '<Directory "%s/cgi-bin">' % self.home, "Require all granted",
                  "</Directory>", "</VirtualHost>"]
        path = os.path.join(p, "httpd.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def command(self):
        return [self.httpd, "-f", self.conf, "-DFOREGROUND"]


def main():
    t = TAP()
    if os.geteuid() != 0:
        t.skip("the shared-hosting recipe under suexec", "the test plays the host: needs root")
        return t.done()
    if not os.path.exists(SUEXEC) or not os.path.isdir("/var/www"):
        t.bail("no %s or /var/www: scripts/install-deps test installs "
               "apache2-suexec-pristine" % SUEXEC)

    # The host's side: a customer with a home under suexec's docroot.
    home = tempfile.mkdtemp(prefix="ar-hosting-", dir="/var/www")
    user = os.path.basename(home).replace("_", "-").lower()[:30]
    on_exit(lambda: shutil.rmtree(home, ignore_errors=True))
    r = subprocess.run(["useradd", "--no-create-home", "--home-dir", home, "--shell",
                        "/bin/sh", "--user-group", user], stderr=subprocess.PIPE)
    if r.returncode != 0:
        t.bail("useradd %s: %s" % (user, r.stderr.decode(errors="replace")))
    on_exit(lambda: subprocess.run(["userdel", user], stderr=subprocess.DEVNULL))
    pw = pwd.getpwnam(user)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)

    scratch = tempfile.mkdtemp(prefix="ar-hostdb-", dir="/tmp")
    os.chmod(scratch, 0o755)
    on_exit(lambda: shutil.rmtree(scratch, ignore_errors=True))

    def setup_db():
        base = os.path.join(scratch, "db")
        os.mkdir(base, 0o755)
        return MariaDB(basedir=base, database="customer_db", schema=None).setup()
    db = t.setup(setup_db)
    db_password = strong_password("Host")
    db.sql("CREATE USER 'customer'@'localhost' IDENTIFIED BY '%s';"
           "GRANT ALL PRIVILEGES ON customer_db.* TO 'customer'@'localhost';" % db_password,
           database=None)

    # The customer's side: the source in the home directory, the recipe.
    clone = os.path.join(home, "account-reset")
    shutil.copytree(SRCDIR, clone, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == SRCDIR and n in SKIP_TOP])
    # make distcheck's source tree is read-only; the customer's copy is theirs.
    subprocess.run(["chmod", "-R", "u+w", clone], check=True)
    subprocess.run(["chown", "-R", "%s:%s" % (user, user), clone], check=True)

    text = open(os.path.join(SRCDIR, "docs", "recipes", "shared-hosting.recipe")).read()
    with t.claim("README shows the shared-hosting recipe verbatim"):
        expect(readme_shows(text), "the README does not show "
               "docs/recipes/shared-hosting.recipe as it is")
        expect(PLACES in text and DB_LINE in text, "the places lines changed")

    script = text.replace(DB_LINE, "db_socket=%s db_name=customer_db db_user=customer\n"
                          % db.socket)
    env = {"HOME": home, "USER": user, "LOGNAME": user, "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8"}
    with t.claim("the recipe runs as the customer (no root) to the end: build, install "
                 "under $HOME, config, option file, schema, .htaccess, --check-config") as cl:
        r = subprocess.run(["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
                            "bash", "-e", "-c", script], cwd=clone, env=env,
                           input=(db_password + "\n").encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=1800)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-2500:])
        expect_eq(r.returncode, 0, "exit status")
        expect("%s/ar/etc/account-reset/account-reset.conf: OK" % home in out,
               "no --check-config OK")
        expect(db_password not in out, "the password was echoed")

    conf = os.path.join(home, "ar", "etc", "account-reset")
    with t.claim("the option file is the customer's alone (0600), the CGI program is "
                 "in the customer's cgi-bin, owned by the customer, not writable by others"):
        expect_eq(mode(os.path.join(conf, "my.cnf"))[:2], ("0o600", user), "my.cnf")
        expect_eq(mode(os.path.join(home, "cgi-bin", "account-reset.cgi"))[:2], ("0o755", user),
                  "the CGI program")
        expect_eq(mode(os.path.join(home, "cgi-bin"))[:2], ("0o755", user), "cgi-bin")

    admin = ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
             os.path.join(home, "ar", "sbin", "account-reset-admin")]
    email, old = "customer@example.test", strong_password("Old")
    r = subprocess.run(admin + ["create-user", email], input=(old + "\n").encode(), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        t.bail("create-user as the customer: %r" % r.stderr)

    def issue():
        return subprocess.run(admin + ["issue-code", email], env=env, stdout=subprocess.PIPE,
                              check=True).stdout.decode().strip()

    ap = t.setup(lambda: HostApache(home, user).start())
    try:
        log_start = os.path.getsize(SUEXEC_LOG)
    except OSError:
        log_start = 0
    with t.claim("through the host's Apache, a reset works: suexec runs the CGI program "
                 "as the customer, who alone can read the option file") as cl:
        new = strong_password("New")
        resp = ap.request("POST", json.dumps({"validation_code": issue(),
                                              "password": new}).encode(),
                          {"Content-Type": "application/json"})
        cl.note(resp.summary())
        cl.note(ap.logs()[-1500:])
        expect_token(resp, "account-reset", "read write", 3600)
        time.sleep(0.2)
        with open(SUEXEC_LOG, errors="replace") as f:
            f.seek(log_start)
            lines = f.read()
        expect(re.search(r"uid: \(%d/%s\) gid: \(%d/%s\) cmd: account-reset\.cgi"
                         % (pw.pw_uid, re.escape(user), pw.pw_gid, re.escape(user)), lines),
               "suexec.log: %r" % lines[-600:])

    with t.claim("GET /api/v2/account/health through the .htaccess rewrite answers 200"):
        resp = ap.request("GET", path="/api/v2/account/health")
        expect_eq(resp.status, 200, "status: %s" % resp.summary())
    ap.stop()

    bare = t.setup(lambda: HostApache(home, user, suexec=False).start())
    with t.claim("without suexec the program runs as www-data, cannot read the "
                 "customer's option file, answers 500 in JSON, and the log says why"):
        resp = bare.request("GET", path="/api/v2/account/health")
        expect_eq(resp.status, 500, "status: %s" % resp.summary())
        expect_eq((resp.json or {}).get("error"), "server_error", "error")
        time.sleep(0.2)
        logs = bare.logs()
        expect(re.search(r"mysql_option_file .*my\.cnf.*cannot be read", logs),
               "error log: %r" % logs[-800:])
    bare.stop()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
