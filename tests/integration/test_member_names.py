#!/usr/bin/env python3
"""test_member_names.py: every endpoint that reads a JSON body refuses a
member name that holds an escaped NUL and a member name given twice, with
400 invalid_request, and changes nothing (issue 19, point 11).  json-c
ends a name at \\u0000 and keeps the last of two equal names, so without
this a body with "validation_code": REAL and "validation_code\\u0000":
OTHER was answered for OTHER, where a standards-following front end or
WAF sees REAL."""

from harness import TAP, Fixture, expect, expect_eq, expect_error

RECOVER = "/api/v2/account/recover/"
RECOVER_ENV = {"DOCUMENT_URI": RECOVER, "REQUEST_URI": RECOVER, "SCRIPT_NAME": RECOVER,
               "REMOTE_ADDR": "192.0.2.1"}


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    email, old, code = t.setup(f.user_and_code)
    other = "other-" + email

    def queued():
        return int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue"))

    def reset_body(members):
        return ("{" + members + "}").encode()

    with t.claim("reset: validation_code then validation_code\\u0000 with an unknown "
                 "code is 400 invalid_request, the real code stays unused"):
        r = f.cgi(body=reset_body('"validation_code": "%s", "validation_code\\u0000": '
                                  '"unknown-code", "password": "Fresh-Passw0rd-1"' % code))
        expect_error(r, 400, "invalid_request")
        expect(f.code_used_at(code) is None, "the code was used")

    with t.claim("reset: a NUL inside a name (password\\u0000junk) is 400 invalid_request"):
        r = f.cgi(body=reset_body('"validation_code": "%s", "password\\u0000junk": '
                                  '"Fresh-Passw0rd-2"' % code))
        expect_error(r, 400, "invalid_request")
        expect(f.code_used_at(code) is None, "the code was used")

    with t.claim("reset: password twice is 400 invalid_request, the password unchanged"):
        r = f.cgi(body=reset_body('"validation_code": "%s", "password": "Fresh-Passw0rd-3", '
                                  '"password": "Fresh-Passw0rd-4"' % code))
        expect_error(r, 400, "invalid_request")
        expect_eq(f.check_password(email, old), 0, "old password")

    with t.claim("recover: email then email\\u0000 with another address is 400 "
                 "invalid_request and queues nothing"):
        before = queued()
        r = f.cgi(body=('{"email": "%s", "email\\u0000": "%s"}' % (email, other)).encode(),
                  env=RECOVER_ENV)
        expect_error(r, 400, "invalid_request")
        expect_eq(queued(), before, "queue rows")

    with t.claim("recover: email twice, or locale twice, is 400 invalid_request and "
                 "queues nothing"):
        before = queued()
        r = f.cgi(body=('{"email": "%s", "email": "%s"}' % (email, other)).encode(),
                  env=RECOVER_ENV)
        expect_error(r, 400, "invalid_request")
        r = f.cgi(body=('{"email": "%s", "locale": "en", "locale\\u0000x": "de"}'
                        % email).encode(), env=RECOVER_ENV)
        expect_error(r, 400, "invalid_request")
        expect_eq(queued(), before, "queue rows")

    with t.claim("the same endpoints still answer a well-formed body (the code resets, "
                 "the address is queued)"):
        before = queued()
        r = f.cgi(body=('{"email": "%s", "locale": "en"}' % email).encode(),
                  env=RECOVER_ENV)
        expect_eq(r.status, 202, "recover status")
        expect_eq(queued(), before + 1, "queue rows")
        r = f.cgi({"validation_code": code, "password": "Fresh-Passw0rd-5"})
        expect_eq(r.status, 200, "reset status")

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
