#!/usr/bin/env python3
"""test_django.py: account-reset on an existing Django site, without
copying users (docs/DJANGO.md).

A Django project (Debian's python3-django, driver python3-mysqldb) builds
its auth_user table in the private MariaDB with its own migrate;
conf/schema-django.sql adds the view "users" over auth_user and the code
and token tables; a database account with only the documented grants
serves account-reset.  A code issued by the site's own code
(docs/snippets/account_reset_site.py), a reset through account-reset, and
then Django's own authenticate() accepts the new password and refuses the
old one.  The snippet's token check accepts the issued access token and
refuses it once revoked or expired.
"""

import os
import secrets
import subprocess
import sys

from harness import (TAP, Fixture, MariaDB, expect, expect_eq, expect_error,
                     expect_token, strong_password)

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("AR_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SRCDIR, "docs", "snippets"))
import account_reset_site as site  # noqa: E402  (the documented snippet)

CLIENT_ID = "django-it"
DB_PASSWORD = "Dj-" + secrets.token_hex(12)


def django(f, *args, stdin=""):
    """Runs the test Django project (tests/integration/django_site.py)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": HERE, "PYTHONDONTWRITEBYTECODE": "1"}
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "django_site.py"),
                        f.db.socket, "account_reset"] + list(args),
                       input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=120)
    if r.returncode != 0:
        raise AssertionError("django_site.py %s failed (%d): %s"
                             % (args[0], r.returncode, r.stderr.decode()[-1500:]))
    return r.stdout.decode().strip()


def connect(f):
    import MySQLdb
    return MySQLdb.connect(unix_socket=f.db.socket, user="root", database="account_reset",
                           charset="utf8mb4")


def setup():
    f = Fixture(iterations=1000, client_id=CLIENT_ID)
    f.check_binaries()
    f.db = MariaDB(basedir=os.path.join(f.base, "db"), schema=None)
    os.mkdir(f.db.basedir, 0o700)
    f.db.setup()
    django(f, "migrate")
    with open(os.path.join(SRCDIR, "conf", "schema-django.sql"), "rb") as fh:
        f.db.sql_script(fh.read())
    # The grants docs/DJANGO.md gives account-reset's database account.
    f.db.sql_script(("""
CREATE USER 'account_reset'@'localhost' IDENTIFIED BY '%s';
GRANT SELECT, UPDATE ON account_reset.users TO 'account_reset'@'localhost';
GRANT SELECT, INSERT, UPDATE ON account_reset.reset_codes TO 'account_reset'@'localhost';
GRANT SELECT, INSERT, UPDATE ON account_reset.tokens TO 'account_reset'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON account_reset.attempt_failures TO 'account_reset'@'localhost';
GRANT SELECT, INSERT ON account_reset.mail_queue TO 'account_reset'@'localhost';
GRANT SELECT ON account_reset.schema_version TO 'account_reset'@'localhost';
""" % DB_PASSWORD).encode())
    f.note_secret(DB_PASSWORD)
    f.write_option_file(user="account_reset", password=DB_PASSWORD)
    # write_option_file puts user=root first; the last one wins for the
    # client library, but keep the file unambiguous:
    with open(f.option_file) as fh:
        lines = [l for l in fh.read().splitlines() if l != "user=root"]
    with open(f.option_file, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    f.write_config()
    return f


def main():
    t = TAP()
    f = t.setup(setup)
    conn = connect(f)

    old = strong_password("DjOld")
    f.note_secret(old)
    django(f, "create", "alice", "alice@example.test", stdin=old + "\n")
    uid = int(django(f, "userid", "alice"))

    with t.claim("Django's migrate made auth_user, and the view users shows its row "
                 "with Django's pbkdf2_sha256 record"):
        rec = f.db.sql_value("SELECT password FROM users WHERE id = %d" % uid)
        expect(rec and rec.startswith("pbkdf2_sha256$1000$"), "record %r" % rec)
        expect_eq(f.db.sql_value("SELECT email FROM users WHERE id = %d" % uid),
                  "alice@example.test", "email")

    with t.claim("account-reset's database account sees no other auth_user column "
                 "(is_superuser is out of its reach)"):
        r = subprocess.run([f.db.client, "--no-defaults", "-S", f.db.socket, "-u",
                            "account_reset", "-p" + DB_PASSWORD, "account_reset", "-e",
                            "SELECT is_superuser FROM auth_user"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        expect(r.returncode != 0 and b"denied" in r.stderr, "auth_user readable: %r" % r.stderr)

    with t.claim("Django's authenticate() accepts the first password"):
        expect_eq(django(f, "authenticate", "alice", stdin=old + "\n"), "yes", "authenticate")

    code = site.issue_code(conn, uid, ttl=600)
    f.note_secret(code)
    with t.claim("a code issued by the site's snippet is stored only as its digest, "
                 "32 URL-safe characters"):
        expect(len(code) == 32 and all(c.isalnum() or c in "-_" for c in code), "code shape")
        expect(f.code_row(code) is not None, "no reset_codes row")
        expect(code not in f.table_dump(), "the code is stored in clear")

    new = strong_password("DjNew")
    with t.claim("account-reset resets alice's password with that code (200 and a token)"):
        r = f.cgi({"validation_code": code, "password": new})
        tok = expect_token(r, CLIENT_ID, "read write", 3600)

    with t.claim("Django's own authenticate() accepts the new password"):
        expect_eq(django(f, "authenticate", "alice", stdin=new + "\n"), "yes", "authenticate")

    with t.claim("... and refuses the old one"):
        expect_eq(django(f, "authenticate", "alice", stdin=old + "\n"), "no", "authenticate")

    with t.claim("the reset set auth_user.password_changed_at, and Django's other "
                 "columns are untouched"):
        row = f.db.sql("SELECT username, is_active, is_superuser, password_changed_at "
                       "FROM auth_user WHERE id = %d" % uid)[0]
        expect(row[0] == "alice" and row[1] == "1" and row[2] == "0" and row[3],
               "row %r" % (row,))

    with t.claim("the code is used: a second try gets invalid_validation_code"):
        expect_error(f.cgi({"validation_code": code, "password": strong_password()}),
                     400, "invalid_validation_code")

    with t.claim("the site's token check accepts the access token account-reset issued "
                 "(and its Authorization header form)"):
        expect_eq(site.access_token_user(conn, tok["access_token"]), uid, "user")
        expect_eq(site.bearer_token("Bearer " + tok["access_token"]), tok["access_token"],
                  "bearer_token")

    with t.claim("... refuses the refresh token, an unknown token and garbage"):
        expect(site.access_token_user(conn, tok["refresh_token"]) is None, "refresh accepted")
        expect(site.access_token_user(conn, secrets.token_urlsafe(32)) is None, "unknown")
        expect(site.access_token_user(conn, "") is None, "empty")

    with t.claim("... refuses it once revoked (account-reset-admin revoke-tokens)"):
        r = f.admin("revoke-tokens", "alice@example.test")
        expect_eq(r.returncode, 0, "revoke-tokens (%s)" % r.stderr)
        expect(site.access_token_user(conn, tok["access_token"]) is None, "revoked accepted")

    with t.claim("... and refuses an expired one"):
        code2 = site.issue_code(conn, uid)
        f.note_secret(code2)
        tok2 = expect_token(f.cgi({"validation_code": code2, "password": strong_password()}),
                            CLIENT_ID, "read write", 3600)
        expect_eq(site.access_token_user(conn, tok2["access_token"]), uid, "live token")
        f.db.sql("UPDATE tokens SET access_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                 "WHERE access_sha256 = '%s'" % site._sha256_hex(tok2["access_token"]))
        expect(site.access_token_user(conn, tok2["access_token"]) is None, "expired accepted")

    with t.claim("deleting the Django user deletes its codes and tokens (the foreign "
                 "keys name auth_user)"):
        site.issue_code(conn, uid)
        f.db.sql("DELETE FROM auth_user WHERE id = %d" % uid)
        n = f.db.sql_value("SELECT (SELECT COUNT(*) FROM reset_codes WHERE user_id = %d) + "
                           "(SELECT COUNT(*) FROM tokens WHERE user_id = %d)" % (uid, uid))
        expect_eq(int(n), 0, "rows left")

    with t.claim("the recover endpoint queues a request with these grants (mail_queue)"):
        path = "/api/v2/account/recover/"
        r = f.cgi({"email": "bob@example.test"},
                  env={"DOCUMENT_URI": path, "REQUEST_URI": path, "SCRIPT_NAME": path,
                       "REMOTE_ADDR": "10.7.0.1"})
        expect_eq(r.status, 202, "status: %s" % r.summary())
        expect_eq(f.db.sql_value("SELECT COUNT(*) FROM mail_queue"), "1", "queue rows")

    conn.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
