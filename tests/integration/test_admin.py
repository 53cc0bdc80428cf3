#!/usr/bin/env python3
"""test_admin.py: account-reset-admin against a real MariaDB.

create-user (password on stdin, the password rules enforced, duplicates
refused), issue-code (a fresh URL-safe code of at least 128 bits on one
line, stored only as its SHA-256, lifetime from the config or --ttl,
unknown users refused), check-password (exit 0 match, 1 no match or no
such user), and the config lookup shared with the responder.
"""

import base64
import re
import sys

from harness import TAP, Fixture, expect, expect_eq, strong_password, verify_django_record

ITERATIONS = 1000
CODE_LIFETIME = 1800
CODE_RE = re.compile(r"\A[A-Za-z0-9_-]{22,}\Z")


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=ITERATIONS, code_lifetime=CODE_LIFETIME).setup())
    admin = f.admin

    # -- create-user
    email = f.new_email()
    pw = strong_password("Init")
    f.note_secret(pw)
    with t.claim("create-user with a strong password on stdin exits 0 and stores the user"):
        r = admin("create-user", email, input=pw + "\n")
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect(f.user_id(email) is not None, "no users row")

    with t.claim("the stored record is pbkdf2_sha256$%d$salt$digest, verified by hashlib "
                 "for the password without its newline" % ITERATIONS):
        rec = f.password_record(email)
        expect(rec and rec.startswith("pbkdf2_sha256$%d$" % ITERATIONS), "record %r" % rec)
        expect(verify_django_record(rec, pw), "record does not verify")

    with t.claim("create-user reads a password without a trailing newline too"):
        e2, p2 = f.new_email(), strong_password("NoNl")
        f.note_secret(p2)
        expect_eq(admin("create-user", e2, input=p2).returncode, 0, "exit status")
        expect(verify_django_record(f.password_record(e2), p2), "record does not verify")

    with t.claim("two users with the same password get different salts"):
        e3 = f.new_email()
        expect_eq(admin("create-user", e3, input=pw + "\n").returncode, 0, "exit status")
        expect(f.password_record(e3).split("$")[2] != f.password_record(email).split("$")[2],
               "same salt")

    with t.claim("create-user for an existing e-mail exits nonzero and leaves the first "
                 "password in place"):
        other = strong_password("Dup")
        f.note_secret(other)
        r = admin("create-user", email, input=other + "\n")
        expect(r.returncode != 0, "exit status 0")
        expect(verify_django_record(f.password_record(email), pw), "password replaced")

    for desc, weak in (("too short", "Ab1!"),
                       ("of one class", "alllowercaseletters"),
                       ("with a control character", "Valid-Pass\tw0rd"),
                       ("empty", "")):
        with t.claim("create-user with a weak password (%s) exits nonzero and creates no "
                     "user" % desc):
            e = f.new_email()
            r = admin("create-user", e, input=weak + "\n")
            expect(r.returncode != 0, "exit status 0")
            expect(f.user_id(e) is None, "user created")
            if len(weak) >= 4:
                expect(weak not in r.stderr and weak not in r.stdout,
                       "the refused password is echoed: %r" % r.stderr)

    with t.claim("create-user with an address that is not an e-mail exits nonzero"):
        r = admin("create-user", "not-an-address", input=pw + "\n")
        expect(r.returncode != 0, "exit status 0")
        expect(f.user_id("not-an-address") is None, "user created")

    for bad in ("a@localhost", "a b@example.org", "\"ab\"@example.org", "a@[192.0.2.1]",
                "a..b@example.org", "a@example.org\u2028"):
        with t.claim("create-user %r (an address the recover endpoint refuses, so the "
                     "user could never recover) exits 2 and creates no user" % bad):
            r = admin("create-user", bad, input=pw + "\n")
            expect_eq(r.returncode, 2, "exit status (stderr %r)" % r.stderr)
            expect("not an e-mail address" in r.stderr, "stderr %r" % r.stderr)
            expect(f.user_id(bad) is None, "user created")

    # -- check-password
    with t.claim("check-password exits 0 for the right password"):
        expect_eq(f.check_password(email, pw), 0, "exit status")
    with t.claim("check-password exits 1 for a wrong password"):
        expect_eq(f.check_password(email, pw + "x"), 1, "exit status")
        expect_eq(f.check_password(email, pw.lower()), 1, "exit status (case changed)")
    with t.claim("check-password exits 1 for an empty password"):
        expect_eq(f.check_password(email, ""), 1, "exit status")
    with t.claim("check-password exits 1 for an unknown user"):
        expect_eq(f.check_password(f.new_email(), pw), 1, "exit status")
    with t.claim("check-password exits 2 when the database cannot be reached"):
        dead = f.write_option_file(path=f.etc + "/dead.cnf",
                                   socket_path=f.base + "/no-such.sock")
        conf = f.write_config("dead.conf", mysql_option_file=dead)
        r = admin("check-password", email, input=pw + "\n", config=conf, timeout=20)
        expect_eq(r.returncode, 2, "exit status (stderr %r)" % r.stderr)

    # -- issue-code
    codes = []
    with t.claim("issue-code exits 0 and prints one line: a code of at least 22 "
                 "URL-safe characters"):
        r = admin("issue-code", email)
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        expect(r.stdout.endswith("\n") and r.stdout.count("\n") == 1,
               "stdout %r is not one line" % r.stdout)
        code = r.stdout.strip()
        f.note_secret(code)
        expect(CODE_RE.match(code), "code %r" % code)
        codes.append(code)

    with t.claim("the code carries at least 128 bits (its base64url decodes to >= 16 "
                 "bytes)"):
        raw = base64.urlsafe_b64decode(codes[0] + "=" * (-len(codes[0]) % 4))
        expect(len(raw) >= 16, "%d bytes" % len(raw))

    with t.claim("the code is stored only as its SHA-256 digest, for the right user"):
        row = f.code_row(codes[0])
        expect(row is not None, "no reset_codes row with code_sha256 = sha256(code)")
        expect_eq(row["user_id"], f.user_id(email), "user_id")
        expect(row["used_at"] is None, "used_at set")
        expect(codes[0] not in f.table_dump(), "the code is stored in clear")

    with t.claim("without --ttl the code lives code_lifetime (%d s) from the config"
                 % CODE_LIFETIME):
        left = f.code_row(codes[0])["seconds_left"]
        expect(CODE_LIFETIME - 60 <= left <= CODE_LIFETIME, "expires in %d s" % left)

    with t.claim("issue-code --ttl 120 makes a code that lives 120 s"):
        r = admin("issue-code", email, "--ttl", "120")
        expect_eq(r.returncode, 0, "exit status")
        code = r.stdout.strip()
        f.note_secret(code)
        codes.append(code)
        left = f.code_row(code)["seconds_left"]
        expect(60 <= left <= 120, "expires in %d s" % left)

    with t.claim("20 codes issued in a row are all different"):
        more = []
        for _ in range(20):
            r = admin("issue-code", email)
            expect_eq(r.returncode, 0, "exit status")
            more.append(r.stdout.strip())
        for c in more:
            f.note_secret(c)
        expect_eq(len(set(more + codes)), len(more) + len(codes), "distinct codes")

    with t.claim("issue-code for an unknown user exits nonzero, prints no code and "
                 "stores nothing"):
        before = f.db.sql_value("SELECT COUNT(*) FROM reset_codes")
        r = admin("issue-code", f.new_email())
        expect(r.returncode != 0, "exit status 0")
        expect_eq(r.stdout.strip(), "", "stdout")
        expect_eq(f.db.sql_value("SELECT COUNT(*) FROM reset_codes"), before, "code rows")

    for bad in ("0", "-5", "abc", "10s"):
        with t.claim("issue-code --ttl %s exits nonzero and prints no code" % bad):
            r = admin("issue-code", email, "--ttl", bad)
            expect(r.returncode != 0, "exit status 0")
            expect_eq(r.stdout.strip(), "", "stdout")

    # -- configuration lookup
    with t.claim("the admin CLI finds its config through ACCOUNT_RESET_CONFIG, as the "
                 "responder does"):
        r = admin("issue-code", email, config=False,
                  env={"ACCOUNT_RESET_CONFIG": f.config_path})
        expect_eq(r.returncode, 0, "exit status (stderr %r)" % r.stderr)
        f.note_secret(r.stdout.strip())
        expect(f.code_row(r.stdout.strip()) is not None, "code not stored")

    with t.claim("a config with a bad value makes the admin CLI exit 2 naming the file "
                 "and the key"):
        conf = f.write_config("bad.conf", access_token_lifetime="forever")
        r = admin("issue-code", email, config=conf)
        expect_eq(r.returncode, 2, "exit status")
        expect(conf in r.stderr and "access_token_lifetime" in r.stderr,
               "stderr %r" % r.stderr)

    with t.claim("an unknown command exits 2"):
        expect_eq(admin("delete-everything", email).returncode, 2, "exit status")

    with t.claim("no password appears in the admin CLI's stderr"):
        text = "".join(f.admin_stderr)
        leaked = [s for s in f.leaks(text) if s not in codes]
        expect(not leaked, "%d secret(s):\n%s" % (len(leaked), f.leak_report(text)))

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
