#!/usr/bin/env python3
"""test_recover.py: POST /api/v2/account/recover/ against a real MariaDB,
as CGI and through a FastCGI responder.  Every syntactically valid
address gets the same answer (byte for byte) and costs the same work (the
same statements, one INSERT, no user lookup: read from MariaDB's own
general log); bad addresses, header-injection attempts and bad locales
are refused and write nothing; the per-client limit answers 429 with
Retry-After for every address alike; a database that is down is 503."""

import re

from harness import (TAP, Fixture, expect, expect_eq, expect_error, run_parallel,
                     strong_password)

PATH = "/api/v2/account/recover/"
ENV = {"DOCUMENT_URI": PATH, "REQUEST_URI": PATH, "SCRIPT_NAME": PATH}
LIMIT = 3


def recover(f, payload, addr="192.0.2.1", responder=None, **kw):
    env = dict(ENV)
    env["REMOTE_ADDR"] = addr
    env.update(kw.pop("env", {}))
    if isinstance(payload, str):
        payload = {"email": payload}
    if responder is not None:
        return responder.request(payload, env=env, **kw)
    return f.cgi(payload, env=env, **kw)


def expect_accepted(r):
    expect(r.status == 202 and r.json == {"status": "accepted"},
           "want 202 {\"status\": \"accepted\"}; got %s" % r.summary())
    expect_eq(r.header("content-type"), "application/json", "Content-Type")
    expect_eq(r.header("cache-control"), "no-store", "Cache-Control")


def answer_bytes(r):
    """Status, headers and body as the client sees them, in order."""
    return (r.status, tuple(r.header_list), r.body)


def rows(f):
    return int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue"))


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000, recover_limit=LIMIT,
                                recover_window=600).setup())
    known, _ = t.setup(f.create_user)

    with t.claim("a valid address gets 202 {\"status\": \"accepted\"} and one queue row "
                 "with the address, the client and no user yet"):
        expect_accepted(recover(f, known, addr="192.0.2.1"))
        r = f.db.sql("SELECT email, client_key, state, user_id, locale FROM mail_queue")
        expect_eq(r, [[known, "192.0.2.1", "queued", None, ""]], "the row")

    with t.claim("a known and an unknown address get byte-identical answers"):
        a = recover(f, known, addr="192.0.2.2")
        b = recover(f, "nobody-%s" % known, addr="192.0.2.3")
        c = recover(f, known.upper(), addr="192.0.2.4")
        expect_accepted(a)
        expect_eq(answer_bytes(b), answer_bytes(a), "unknown vs known")
        expect_eq(answer_bytes(c), answer_bytes(a), "upper-cased known vs known")

    with t.claim("the responder does the same statements for a known and an unknown "
                 "address: one INSERT into mail_queue, nothing that reads users "
                 "(MariaDB's general log)"):
        f.db.sql("SET GLOBAL log_output = 'TABLE'")
        f.db.sql("TRUNCATE mysql.general_log", database=None)
        f.db.sql("SET GLOBAL general_log = 1")
        try:
            expect_accepted(recover(f, known, addr="192.0.2.5"))
            expect_accepted(recover(f, "ghost-%s" % known, addr="192.0.2.6"))
        finally:
            f.db.sql("SET GLOBAL general_log = 0")
        log = f.db.sql("SELECT thread_id, command_type, argument FROM mysql.general_log "
                       "WHERE command_type IN ('Query', 'Execute', 'Prepare') "
                       "ORDER BY event_time", database=None)
        threads = {}
        for tid, kind, arg in log:
            if "general_log" in arg:
                continue  # the test's own statements
            threads.setdefault(tid, []).append((kind, arg))
        expect_eq(len(threads), 2, "two connections (one per CGI request)")
        shapes = []
        for stmts in threads.values():
            # Values (strings, and numbers such as the row's fair rank,
            # a count of its network's rows) are left out: the shapes.
            shapes.append([(k, re.sub(r"'[^']*'|\b[0-9]+\b", "?", a)) for k, a in stmts])
            expect(not any(re.search(r"\busers\b", a) for _, a in stmts),
                   "a statement touches users: %r" % stmts)
            expect_eq(sum(1 for k, a in stmts if k == "Execute"
                          and a.lstrip().upper().startswith("INSERT INTO MAIL_QUEUE")), 1,
                      "INSERTs")
        expect_eq(shapes[0], shapes[1], "the statements of the two requests")

    with t.claim("bad addresses get 400 invalid_email and write nothing"):
        before = rows(f)
        for bad in ("", "plain", "@example.com", "a@b", "a@[192.0.2.1]",
                    "\"quoted\"@example.com", "a b@example.com", "a..b@example.com",
                    "x" * 65 + "@example.com", "a@" + "b" * 250 + ".com"):
            expect_error(recover(f, bad, addr="192.0.2.7"), 400, "invalid_email")
        expect_eq(rows(f), before, "queue rows")

    with t.claim("header-injection attempts in the address get 400 invalid_email and "
                 "write nothing"):
        before = rows(f)
        for bad in ("%s\r\nBcc: victim@example.org" % known, "%s\nBcc: x@example.org" % known,
                    "%s\rX: y" % known, known + "\u0000", known + "\u2028Bcc: x@example.org",
                    known + "\u0085", "<%s>" % known, "Name <%s>" % known,
                    "%s, other@example.org" % known, "%s;other@example.org" % known):
            expect_error(recover(f, bad, addr="192.0.2.8"), 400, "invalid_email")
        expect_eq(rows(f), before, "queue rows")

    with t.claim("the member checks: email missing or not a string is invalid_request; "
                 "a bad locale is invalid_request; a good one is stored lower-cased"):
        before = rows(f)
        expect_error(recover(f, {}, addr="192.0.2.9"), 400, "invalid_request")
        expect_error(recover(f, {"email": ["a@example.com"]}, addr="192.0.2.9"), 400,
                     "invalid_request")
        expect_error(recover(f, {"email": known, "locale": "../../etc/passwd"},
                             addr="192.0.2.9"), 400, "invalid_request")
        expect_error(recover(f, {"email": known, "locale": 5}, addr="192.0.2.9"), 400,
                     "invalid_request")
        expect_eq(rows(f), before, "queue rows")
        expect_accepted(recover(f, {"email": known, "locale": "DE-CH"}, addr="192.0.2.9"))
        expect_eq(f.db.sql_value("SELECT locale FROM mail_queue ORDER BY id DESC LIMIT 1"),
                  "de-ch", "stored locale")

    with t.claim("the request checks are the reset endpoint's: 405 with Allow, 415, 411, "
                 "413, invalid JSON"):
        expect_error(recover(f, known, method="GET", addr="192.0.2.10"), 405,
                     "method_not_allowed")
        expect_error(recover(f, known, content_type="text/plain", addr="192.0.2.10"), 415,
                     "unsupported_media_type")
        expect_error(recover(f, None, body=b'{"email":"a@example.com"}', content_length=None,
                             addr="192.0.2.10"), 411, "length_required")
        expect_error(recover(f, None, body=b"x" * 9000, addr="192.0.2.10"), 413,
                     "payload_too_large")
        expect_error(recover(f, None, body=b'{"email":', addr="192.0.2.10"), 400,
                     "invalid_request")

    with t.claim("the per-client limit: %d accepted, then 429 with Retry-After within "
                 "the window, for a known and an unknown address alike" % LIMIT):
        for i in range(LIMIT):
            expect_accepted(recover(f, known if i % 2 else "u%d-%s" % (i, known),
                                    addr="198.51.100.1"))
        a = recover(f, known, addr="198.51.100.1")
        b = recover(f, "stranger-%s" % known, addr="198.51.100.1")
        expect_error(a, 429, "too_many_requests")
        ra = int(a.header("retry-after"))
        expect(1 <= ra <= 600, "Retry-After %d" % ra)
        expect_eq((b.status, b.body), (a.status, a.body), "unknown vs known over the limit")
        expect_eq(int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE client_key = "
                                     "'198.51.100.1'")), LIMIT, "rows of that client")

    with t.claim("another client is not limited by those requests"):
        expect_accepted(recover(f, known, addr="198.51.100.2"))

    with t.claim("an IPv6 client is counted by its /64"):
        for i in range(LIMIT):
            expect_accepted(recover(f, known, addr="2001:db8:1:2::%x" % (i + 1)))
        expect_error(recover(f, known, addr="2001:db8:1:2:ffff::1"), 429, "too_many_requests")

    with t.claim("16 concurrent requests from 16 clients are all accepted (no lock "
                 "between clients), one row each"):
        before = rows(f)
        got = run_parallel([lambda i=i: recover(f, "c%d-%s" % (i, known),
                                                addr="198.18.0.%d" % (i + 1))
                            for i in range(16)])
        expect_eq(sorted(getattr(r, "status", repr(r)) for r in got), [202] * 16, "statuses")
        expect_eq(rows(f) - before, 16, "rows")

    with t.claim("12 concurrent requests from one client get only 202 or 429 (never "
                 "500 or 503), with at most the limit plus the requests in flight "
                 "accepted"):
        got = run_parallel([lambda: recover(f, known, addr="198.18.1.1") for _ in range(12)])
        statuses = [getattr(r, "status", repr(r)) for r in got]
        expect(set(statuses) <= {202, 429}, "statuses %r" % statuses)
        n = int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE client_key = "
                               "'198.18.1.1'"))
        expect_eq(n, statuses.count(202), "rows vs 202 answers")
        expect(LIMIT <= n <= LIMIT + 11, "%d accepted" % n)
        t.diag("one client, 12 at once, limit %d: %d accepted" % (LIMIT, n))

    with t.claim("through a FastCGI responder the answers are the same"):
        fc = f.fastcgi()
        a = recover(f, known, addr="203.0.113.1", responder=fc)
        b = recover(f, "nobody2-%s" % known, addr="203.0.113.2", responder=fc)
        expect_accepted(a)
        expect_eq((b.status, b.body), (a.status, a.body), "unknown vs known")
        expect_error(recover(f, "bad", addr="203.0.113.3", responder=fc), 400,
                     "invalid_email")
        expect(fc.alive(), "the responder is still up")
        lines = [l for l in fc.log_lines() if b"status=202" in l]
        expect(len(lines) >= 2, "request lines with status=202")
        fc.stop()

    with t.claim("the log line of a recover request names neither address"):
        text = f.cgi_log()
        expect(known.encode() not in text and known.upper().encode() not in text,
               "an address is in the log")

    with t.claim("the database down: 503 temporarily_unavailable with Retry-After, "
                 "and nothing is written"):
        f.db.stop()
        try:
            expect_error(recover(f, known, addr="192.0.2.200"), 503,
                         "temporarily_unavailable")
        finally:
            f.db.start()
        expect_eq(int(f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE client_key = "
                                     "'192.0.2.200'")), 0, "rows")

    with t.claim("one responder warns once for each endpoint that a client without an "
                 "address is not limited: a reset, then a recover, both from 'unix:', log "
                 "both warnings (one flag per endpoint), each once"):
        fc = f.fastcgi(children=1)
        try:
            for _ in range(2):
                fc.request({"validation_code": "x" * 43, "password": strong_password()},
                           env={"REMOTE_ADDR": "unix:"})
                recover(f, known, addr="unix:", responder=fc)
            text = fc.log_text()
            expect_eq((text.count(b"attempt limits do not apply"),
                       text.count(b"the recover limit does not apply")), (1, 1),
                      "warnings (reset's, recover's)")
        finally:
            fc.stop()

    with t.claim("a path no route names gets 404 not_found"):
        r = f.cgi({"email": known}, env={"DOCUMENT_URI": "/api/v2/account/recoverx/"})
        expect_error(r, 404, "not_found")
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
