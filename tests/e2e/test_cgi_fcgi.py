#!/usr/bin/env python3
"""test_cgi_fcgi.py: the local-testing path the README shows, with libfcgi's
own tool and no web server:

    cgi-fcgi -start -connect SOCK account-reset     (ACCOUNT_RESET_CONFIG set)
    cgi-fcgi -bind -connect SOCK                     (one request each)

cgi-fcgi -start binds the socket, starts the program with it as fd 0 and
exits; the program serves FastCGI on the inherited socket.  cgi-fcgi can
pass the program no option, and the program refuses to serve as root
without --allow-root, so when the tests run as root both run as www-data,
as a developer runs them from an ordinary account.

cgi-fcgi -start also closes the program's stdout and stderr: the program
must not write its log into whatever socket then takes fd 1 or 2 (the
FastCGI connection or the MariaDB connection); its log is lost here.
"""

import os
import secrets

from harness import (TAP, Fixture, expect, expect_eq, expect_error, expect_token,
                     strong_password)
from webservers import WEB_USER, CgiFcgiResponder, as_root, uid_of

CLIENT_ID = "cgi-fcgi-e2e"
SCOPE = "read write"
LIFETIME = 1800


def connections(f):
    """MariaDB's count of connection attempts so far (this query is one)."""
    return int(f.db.sql("SHOW GLOBAL STATUS LIKE 'Connections'")[0][1])


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME).setup())
    cf = CgiFcgiResponder(f)
    status = t.setup(cf.start)

    with t.claim("cgi-fcgi -start exits 0 and leaves account-reset serving on the "
                 "socket%s" % (" as %s" % WEB_USER if as_root() else "")):
        expect_eq(status, 0, "cgi-fcgi -start exit status")
        expect(cf.alive(), "the responder is not running: %s" % cf.stderr_text())
        if as_root():
            expect_eq(uid_of(cf.pid), __import__("pwd").getpwnam(WEB_USER).pw_uid,
                      "responder uid")

    email, old, code = f.user_and_code()
    new = strong_password("Local")
    with t.claim("through cgi-fcgi -bind, a valid code and password get 200 with exactly "
                 "the spec's token object"):
        expect_token(cf.request({"validation_code": code, "password": new}),
                     CLIENT_ID, SCOPE, LIFETIME)

    with t.claim("check-password then accepts the new password (0) and refuses the old "
                 "one (1)"):
        expect_eq(f.check_password(email, new), 0, "check-password new")
        expect_eq(f.check_password(email, old), 1, "check-password old")

    with t.claim("a weak password gets 400 invalid_password naming every failed rule"):
        expect_error(cf.request({"validation_code": secrets.token_urlsafe(24),
                                 "password": "abc"}),
                     400, "invalid_password", ["too_short", "too_few_character_classes"])

    with t.claim("the used code gets 400 invalid_validation_code"):
        expect_error(cf.request({"validation_code": code, "password": strong_password()}),
                     400, "invalid_validation_code")

    with t.claim("the responder keeps its one database connection across requests: "
                 "3 more requests open no new one (cgi-fcgi -start leaves the program "
                 "no stdout or stderr: no log line may land in a socket that takes "
                 "their place)"):
        before = connections(f)
        for _ in range(3):
            expect_error(cf.request({"validation_code": secrets.token_urlsafe(24),
                                     "password": strong_password()}),
                         400, "invalid_validation_code")
        # The second count is a connection of its own.
        expect_eq(connections(f) - before, 1, "connections opened")
        expect(cf.alive(), "the responder died")

    with t.claim("no password, code or token in what the responder and cgi-fcgi wrote"):
        text = cf.stderr_text()
        expect(not f.leaks(text), f.leak_report(text))

    with t.claim("SIGTERM stops the responder (exit status 0)"):
        status = cf.stop()
        expect(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
               "wait status %r" % status)

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
