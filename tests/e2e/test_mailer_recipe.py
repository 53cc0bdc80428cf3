#!/usr/bin/env python3
"""test_mailer_recipe.py: README section 11's mailer recipe, run as written
(issue 20, point 4).

The README must show docs/recipes/mailer.recipe verbatim.  The recipe
runs as root with only its first lines' places changed: prefix (the
built programs), etc (a scratch directory holding what the install recipe
leaves there: the example configuration, the responder's option file,
the mail templates), `db` the client of a private MariaDB, and `relay` a
private Debian Postfix on loopback.  Then: the user, the option file's
owner and mode, the database user's grants; a queued request mailed
through Postfix by the mailer running as its user, which cannot read the
responder's option file (so the mail went through its own); the mailer
refusing an option file its user cannot read (no fallback to the default
socket); mailer_log_file.
"""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

from harness import TAP, MariaDB, expect, expect_eq, on_exit, strong_password, wait_for
from postfix import Postfix, available
from recipes import SRCDIR, mode, readme_shows, recipe

BUILDDIR = os.path.abspath(os.environ.get("AR_BUILDDIR") or SRCDIR)
PLACES = "prefix=/usr/local etc=/etc/account-reset\n"
DB_LINE = 'db_socket=/run/mysqld/mysqld.sock db="mariadb"\n'
RELAY_LINE = "relay=smtp://127.0.0.1:25\n"
USER = "account-reset-mailer"


def main():
    t = TAP()
    why = available()
    if why:
        t.skip("README section 11's mailer recipe, run as written", why)
        return t.done()
    scratch = tempfile.mkdtemp(prefix="ar-mrec-", dir="/tmp")
    os.chmod(scratch, 0o755)  # the mailer's user reaches etc/ and the database socket
    on_exit(lambda: shutil.rmtree(scratch, ignore_errors=True))
    if subprocess.run(["id", USER], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        on_exit(lambda: subprocess.run(["userdel", USER], stderr=subprocess.DEVNULL))

    def setup_db():
        base = os.path.join(scratch, "db")
        os.mkdir(base, 0o755)
        return MariaDB(basedir=base, schema=os.path.join(SRCDIR, "conf", "schema.sql")).setup()
    db = t.setup(setup_db)
    pf = t.setup(lambda: Postfix().start())

    # What the install recipe leaves: the programs, etc/ with the example
    # as the configuration, the responder's option file, the templates.
    prefix = os.path.join(scratch, "usr")
    os.makedirs(os.path.join(prefix, "sbin"))
    for p in ("account-reset", "account-reset-admin", "account-reset-mailer"):
        os.symlink(os.path.join(BUILDDIR, p), os.path.join(prefix, "sbin", p))
    etc = os.path.join(scratch, "etc", "account-reset")
    os.makedirs(os.path.join(etc, "mail"), 0o755)
    os.chmod(os.path.dirname(etc), 0o755)
    for f in os.listdir(os.path.join(SRCDIR, "conf", "mail")):
        if f.endswith(".txt"):
            shutil.copy(os.path.join(SRCDIR, "conf", "mail", f), os.path.join(etc, "mail", f))
    my_cnf = os.path.join(etc, "my.cnf")
    with open(my_cnf, "w") as f:
        f.write("[account-reset]\nsocket = %s\nuser = root\ndatabase = account_reset\n"
                % db.socket)
    os.chmod(my_cnf, 0o600)
    conf = os.path.join(etc, "account-reset.conf")
    with open(os.path.join(BUILDDIR, "conf", "account-reset.conf.example")) as f:
        example = f.read()
    with open(conf, "w") as f:
        f.write(re.sub(r"(?m)^mysql_option_file = .*$", "mysql_option_file = " + my_cnf, example))
    os.chmod(conf, 0o644)
    env = dict(os.environ, ACCOUNT_RESET_CONFIG=conf)

    text = recipe("mailer.recipe")
    with t.claim("README section 11 shows the mailer recipe verbatim"):
        expect(readme_shows(text), "the README does not show docs/recipes/mailer.recipe as it is")
        expect(PLACES in text and DB_LINE in text and RELAY_LINE in text,
               "the places lines changed")

    script = (text.replace(PLACES, "prefix=%s etc=%s\n" % (prefix, etc))
              .replace(DB_LINE, 'db_socket=%s db="mariadb --no-defaults -S %s -uroot"\n'
                       % (db.socket, db.socket))
              .replace(RELAY_LINE, "relay=smtp://127.0.0.1:%d\n" % pf.port))
    with t.claim("the recipe runs as root to the end (exit 0): user, database user and "
                 "grants, option file, the appended keys, --check-config OK") as cl:
        r = subprocess.run(["bash", "-e", "-c", script], stdin=subprocess.DEVNULL, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-2000:])
        expect_eq(r.returncode, 0, "exit status")
        expect("%s: OK (mailer)" % conf in out, "no --check-config OK")

    with t.claim("account-reset-mailer is a system user with no login shell"):
        pw = pwd.getpwnam(USER)
        expect(pw.pw_uid < 1000 and pw.pw_shell.endswith("nologin"), "user %r" % (pw,))

    mailer_cnf = os.path.join(etc, "mailer.cnf")
    with t.claim("the mailer's option file is root:account-reset-mailer 0640"):
        expect_eq(mode(mailer_cnf), ("0o640", "root", USER), "mailer.cnf")

    with t.claim("the mailer's database user has exactly the documented grants"):
        rows = [r[0] for r in db.sql("SHOW GRANTS FOR 'account_reset_mailer'@'localhost'")]
        text = " | ".join(rows)
        expect(re.search(r"GRANT SELECT, UPDATE, DELETE ON `account_reset`\.`mail_queue`", text), text)
        expect(re.search(r"GRANT SELECT, INSERT, UPDATE, DELETE ON `account_reset`\.`reset_codes`",
                         text), text)
        expect(re.search(r"GRANT SELECT ON `account_reset`\.`users`", text), text)
        expect(re.search(r"GRANT SELECT, DELETE ON `account_reset`\.`tokens`", text), text)
        expect(re.search(r"GRANT SELECT ON `account_reset`\.`schema_version`", text), text)
        expect(re.search(r"GRANT SELECT, INSERT, UPDATE, DELETE ON `account_reset`\.`events`", text), text)
        expect(re.search(r"GRANT SELECT, INSERT, UPDATE, DELETE ON `account_reset`\.`webhook_outbox`",
                         text), text)
        expect(not re.search(r"DROP|ALTER|CREATE|ALL PRIVILEGES|`account_reset`\.\*",
                             text), text)

    mailer = [os.path.join(prefix, "sbin", "account-reset-mailer"), "--once", "--user", USER]
    email = "someone@example.org"

    def queue_request(rid):
        db.sql("INSERT INTO mail_queue (request_id, client_key, email, locale, created_at, "
               "enqueued_at, due_at) VALUES ('%s', '10.0.0.1', '%s', 'en', UTC_TIMESTAMP(6), "
               "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))" % (rid, email))
        return db.sql_value("SELECT id FROM mail_queue WHERE request_id = '%s'" % rid)

    with t.claim("a queued request is mailed through Postfix by the mailer as its user, "
                 "on its own database user (it cannot read the responder's my.cnf)") as cl:
        r = subprocess.run([os.path.join(prefix, "sbin", "account-reset-admin"), "create-user",
                            email], input=(strong_password("Mrec") + "\n").encode(), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        expect_eq(r.returncode, 0, "create-user: %r" % r.stdout)
        qid = queue_request("recipe-1")
        r = subprocess.run(mailer, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        cl.note(out[-1500:])
        expect_eq(r.returncode, 0, "mailer exit status")
        expect_eq(db.sql("SELECT state, smtp_status FROM mail_queue WHERE id = %s" % qid)[0],
                  ["sent", "250"], "state, smtp_status")
        expect(wait_for(lambda: pf.delivered(email) >= 1, timeout=30), pf.log_text()[-1500:])
        r = subprocess.run(["setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups",
                            "cat", my_cnf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        expect(r.returncode != 0, "the mailer's user can read my.cnf")

    os.chmod(mailer_cnf, 0o600)
    with t.claim("mailer.cnf unreadable to the mailer's user: --check-config fails naming "
                 "the key, the mailer refuses to start; no fallback to the default socket"):
        r = subprocess.run(mailer[:1] + ["--check-config", "--user", USER], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = r.stdout.decode("utf-8", "replace")
        expect(r.returncode != 0 and "mailer_mysql_option_file" in out and mailer_cnf in out,
               "check-config: %r" % out)
        queue_request("recipe-2")
        r = subprocess.run(mailer, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        expect(r.returncode == 1 and "refusing to start" in out and
               "mailer_mysql_option_file" in out, "mailer: %r" % out)
        expect("2002" not in out and "mysqld.sock" not in out, "a fallback: %r" % out)
    os.chmod(mailer_cnf, 0o640)

    log = os.path.join(scratch, "mailer.log")
    with t.claim("mailer_log_file: the mailer's lines go to that file"):
        with open(conf, "a") as f:
            f.write("mailer_log_file = %s\n" % log)
        r = subprocess.run(mailer, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        expect_eq(r.returncode, 0, "mailer exit status: %r" % r.stderr)
        text = open(log).read()
        expect(re.search(r"account-reset-mailer\[\d+\]: mail request id=recipe-2 .*state=\w+",
                         text), "log file: %r" % text[-800:])
        expect("id=recipe-2" not in r.stderr.decode(), "the outcome went to stderr too")

    pf.stop()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
