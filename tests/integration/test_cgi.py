#!/usr/bin/env python3
"""test_cgi.py: the reset endpoint through CGI, against a real MariaDB.

Both binaries are run as CGI programs (stdin a pipe): the CGI program
cgi-bin/account-reset.cgi and the responder account-reset, which serves
one CGI request when it has no FastCGI socket.  For each: a full reset and
what it writes, then every refusal of the contract, each with its status,
error code, shape and headers.  Then the answers that need their own
setup (expired code, database down, unexpected database error, bad
configuration), the default PBKDF2 iteration count, the OpenSSL engine,
and the logs.
"""

import json
import sys

from harness import (Fixture, TAP, expect, expect_eq, expect_error, expect_token,
                     padded_body, reset_payload as payload, sha256_hex, strong_password,
                     unknown_code, verify_django_record)

CLIENT_ID = "it-client"
SCOPE = "read write"
LIFETIME = 3600
REFRESH_LIFETIME = 1209600
ITERATIONS = 1000
MAX_BODY = 8192
RETRY_AFTER = 5
CONNECT_TIMEOUT = 2


def nested(levels):
    """levels nested JSON arrays."""
    return "[" * levels + "]" * levels


def full_reset(t, f, label, program):
    """A valid code and password through CGI, and everything it writes."""
    email, old, code = f.user_and_code()
    old_token = f.insert_token(email)
    other_email, other_pw, other_code = f.user_and_code()
    other_token = f.insert_token(other_email)
    new = strong_password("New")
    r = f.cgi(payload(code, new), program=program)
    tok = {}

    with t.claim("%s: a valid code and password get 200 with exactly the spec's token "
                 "object (six keys, integer expires_in, Bearer, 43-char base64url "
                 "tokens, client_id and scope from the config) and no-store headers"
                 % label):
        tok.update(expect_token(r, CLIENT_ID, SCOPE, LIFETIME))

    with t.claim("%s: the stored password becomes pbkdf2_sha256$%d$salt$digest, which "
                 "hashlib.pbkdf2_hmac verifies for the new password" % (label, ITERATIONS)):
        rec = f.password_record(email)
        expect(rec and rec.startswith("pbkdf2_sha256$%d$" % ITERATIONS), "record %r" % rec)
        salt = rec.split("$")[2]
        expect(len(salt) >= 22, "salt %r is shorter than 22 characters (128 bits)" % salt)
        expect(verify_django_record(rec, new), "record %r does not verify" % rec)
        expect(not verify_django_record(rec, old), "record still verifies the old password")

    with t.claim("%s: check-password exits 0 for the new password and 1 for the old one"
                 % label):
        expect_eq(f.check_password(email, new), 0, "check-password new")
        expect_eq(f.check_password(email, old), 1, "check-password old")

    with t.claim("%s: the code is marked used (used_at set)" % label):
        expect(f.code_used_at(code) is not None, "used_at is NULL")

    with t.claim("%s: the user's existing token is revoked; another user's is not" % label):
        expect(f.token_revoked_at(old_token) is not None, "old token not revoked")
        expect(f.token_revoked_at(other_token) is None, "other user's token revoked")

    with t.claim("%s: a new tokens row holds SHA-256 digests of the answered access and "
                 "refresh tokens, the user, client_id, scope and both lifetimes" % label):
        expect(tok, "no token answered")
        row = f.token_row(tok["access_token"])
        expect(row is not None, "no tokens row with access_sha256 = sha256(access_token)")
        expect_eq(row["refresh_sha256"], sha256_hex(tok["refresh_token"]), "refresh_sha256")
        expect_eq(row["user_id"], f.user_id(email), "user_id")
        expect_eq((row["client_id"], row["scope"]), (CLIENT_ID, SCOPE), "client_id, scope")
        expect(row["revoked_at"] is None, "new token revoked")
        expect(LIFETIME - 60 <= row["access_seconds_left"] <= LIFETIME,
               "access token expires in %d s" % row["access_seconds_left"])
        expect(REFRESH_LIFETIME - 60 <= row["refresh_seconds_left"] <= REFRESH_LIFETIME,
               "refresh token expires in %d s" % row["refresh_seconds_left"])
        expect_eq(f.open_tokens(email), 1, "open tokens of the user")

    with t.claim("%s: the other user's password and code are untouched" % label):
        expect_eq(f.check_password(other_email, other_pw), 0, "other user's password")
        expect(f.code_used_at(other_code) is None, "other user's code was ended")

    with t.claim("%s: the same code a second time gets 400 invalid_validation_code"
                 % label):
        expect_error(f.cgi(payload(code, strong_password()), program=program),
                     400, "invalid_validation_code")

    with t.claim("%s: the request wrote one log line on stderr with its status, and "
                 "nothing secret" % label):
        lines = [l for l in r.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        expect_eq(len(lines), 1, "log lines %r" % lines)
        expect("200" in lines[0], "no status in %r" % lines[0])
        expect(not f.leaks(r.stderr), "the log holds secrets:\n%s" % f.leak_report(r.stderr))


def error_matrix(t, f, label, program):
    """Every refusal, each with a valid code in the body where the body
    matters, so a refusal that consumed it would show."""
    email, old, code = f.user_and_code()
    good = payload(code)
    good_body = json.dumps(good).encode()
    unk = unknown_code()
    cases = []

    def case(desc, want, **kw):
        cases.append((desc, want, kw))

    # -- method, checked first
    for m in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        case("%s gets 405 method_not_allowed with Allow: POST" % m,
             (405, "method_not_allowed"), method=m,
             body=b"" if m in ("GET", "HEAD", "OPTIONS") else good_body)
    case("a lower-case 'post' method gets 405 (methods are case-sensitive)",
         (405, "method_not_allowed"), method="post", body=good_body)
    case("GET with text/plain and no length gets 405: the method is checked first",
         (405, "method_not_allowed"), method="GET", content_type="text/plain",
         content_length=None)

    # -- content type
    for ct in ("text/plain", "application/jsonx", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "text/json", ""):
        case("Content-Type %r gets 415 unsupported_media_type" % ct,
             (415, "unsupported_media_type"), body=good_body, content_type=ct)
    case("a missing Content-Type gets 415 unsupported_media_type",
         (415, "unsupported_media_type"), body=good_body, content_type=None)
    case("text/plain with an oversized length gets 415: the type is checked before the "
         "length", (415, "unsupported_media_type"), body=good_body,
         content_type="text/plain", content_length=10 ** 6)
    for ct in ("application/json; charset=utf-8", "application/json;charset=UTF-8",
               "APPLICATION/JSON"):
        case("Content-Type %r is accepted (the request reaches the code check)" % ct,
             (400, "invalid_validation_code"), payload=payload(unk), content_type=ct)

    # -- length
    case("a missing CONTENT_LENGTH gets 411 length_required",
         (411, "length_required"), body=good_body, content_length=None)
    case("an empty CONTENT_LENGTH gets 411 length_required",
         (411, "length_required"), body=good_body, content_length="")
    for bad in ("abc", "-1", "12abc", "0x10", " 80", "1e3"):
        case("CONTENT_LENGTH %r is refused (400 invalid_request or 411)" % bad,
             ((400, "invalid_request"), (411, "length_required")), body=good_body,
             content_length=bad)
    case("a body of max_body_bytes + 1 (%d bytes) gets 413 payload_too_large" % (MAX_BODY + 1),
         (413, "payload_too_large"), body=padded_body(code, "Valid-Passw0rd", MAX_BODY + 1))
    case("CONTENT_LENGTH 1000000000 gets 413 without the body being read",
         (413, "payload_too_large"), body=good_body, content_length=10 ** 9)
    case("CONTENT_LENGTH of 31 digits gets 413 payload_too_large",
         (413, "payload_too_large"), body=good_body, content_length="1" + "0" * 30)
    case("a body of exactly max_body_bytes (%d) is accepted" % MAX_BODY,
         (400, "invalid_validation_code"), body=padded_body(unk, "Valid-Passw0rd", MAX_BODY))
    case("CONTENT_LENGTH 0 with an empty body gets 400 invalid_request",
         (400, "invalid_request"), body=b"", content_length=0)
    case("a body shorter than CONTENT_LENGTH gets 400 invalid_request",
         (400, "invalid_request"), body=good_body, content_length=len(good_body) + 10)
    unk_body = json.dumps(payload(unk)).encode()
    case("only CONTENT_LENGTH bytes are read: bytes after them are not part of the body",
         (400, "invalid_validation_code"), body=unk_body + b"}garbage",
         content_length=len(unk_body))

    # -- the body and its JSON
    for desc, body in (
            ("a body that is not JSON", b"validation_code=x&password=y"),
            ("an unfinished JSON object", b'{"validation_code": "' + code.encode()),
            ("trailing garbage after the object", good_body + b" x"),
            ("a second object after the first", good_body + b"{}"),
            ("a JSON array", b"[" + good_body + b"]"),
            ("a JSON string", json.dumps(good_body.decode()).encode()),
            ("a JSON number", b"42"),
            ("JSON null", b"null"),
            ("JSON true", b"true"),
            ("a body of white space", b" \r\n\t "),
            ("single-quoted JSON", good_body.replace(b'"', b"'")),
            ("a JSON object with a trailing comma", good_body[:-1] + b",}")):
        case("%s gets 400 invalid_request" % desc, (400, "invalid_request"), body=body)
    case("an empty object gets 400 invalid_request", (400, "invalid_request"), payload={})
    case("a missing password gets 400 invalid_request", (400, "invalid_request"),
         payload={"validation_code": code})
    case("a missing validation_code gets 400 invalid_request", (400, "invalid_request"),
         payload={"password": "Valid-Passw0rd"})
    for name, value in (("number", 12345678), ("null", None), ("array", ["x"]),
                        ("object", {"x": "y"}), ("boolean", True)):
        case("validation_code as a %s gets 400 invalid_request" % name,
             (400, "invalid_request"), payload={"validation_code": value,
                                                "password": "Valid-Passw0rd"})
        case("password as a %s gets 400 invalid_request" % name,
             (400, "invalid_request"), payload={"validation_code": code, "password": value})
    c = code.encode()
    for desc, pw in (("a 0xff byte", b"Valid-Passw0rd\xff"),
                     ("an overlong encoding", b"Valid-Passw0rd\xc0\xaf"),
                     ("an encoded surrogate", b"Valid-Passw0rd\xed\xa0\x80"),
                     ("a truncated sequence", b"Valid-Passw0rd\xe2\x82"),
                     ("a code point past U+10FFFF", b"Valid-Passw0rd\xf4\x90\x80\x80")):
        case("invalid UTF-8 in the password (%s) gets 400 invalid_request" % desc,
             (400, "invalid_request"),
             body=b'{"validation_code": "' + c + b'", "password": "' + pw + b'"}')
    case("invalid UTF-8 in an ignored member gets 400 invalid_request",
         (400, "invalid_request"),
         body=good_body[:-1] + b', "note": "\xff\xfe"}')
    case("a lone surrogate escape (\\ud800) in the password gets 400 invalid_request",
         (400, "invalid_request"),
         body=b'{"validation_code": "' + c + b'", "password": "Valid-Passw0rd\\ud800"}')
    case("nesting 9 levels deep gets 400 invalid_request", (400, "invalid_request"),
         body=good_body[:-1] + b', "x": ' + nested(8).encode() + b"}")
    case("nesting 100 levels deep gets 400 invalid_request", (400, "invalid_request"),
         body=good_body[:-1] + b', "x": ' + nested(99).encode() + b"}")
    case("nesting 8 levels deep is accepted", (400, "invalid_validation_code"),
         body=unk_body[:-1] + b', "x": ' + nested(7).encode() + b"}")
    case("members other than validation_code and password are ignored",
         (400, "invalid_validation_code"),
         payload={"validation_code": unk, "password": "Valid-Passw0rd", "email": "a@b.c",
                  "extra": [1, {"k": None}]})

    # -- password rules: every failed rule, in order, with repetitive
    # beside them where a run covers half the password (issue 17: every
    # violation in one answer; not for a password that is too short)
    for desc, pw, want in (
            ("4 characters", "Ab1!", ["too_short"]),
            ("the empty string", "", ["too_short", "too_few_character_classes"]),
            ("7 lower-case letters", "abcdefg", ["too_short", "too_few_character_classes"]),
            ("7 code points in 10 bytes", "Abc1\u00e9\u00e9\u00e9", ["too_short"]),
            ("129 code points", "Aa1" + "\u00e9" * 126, ["too_long", "repetitive"]),
            ("129 lower-case letters", "a" * 129,
             ["too_long", "too_few_character_classes", "repetitive"]),
            ("letters and digits of one case", "abcdefgh1234",
             ["too_few_character_classes", "repetitive"]),
            ("upper case and specials", "ABCDEFGH!!!!",
             ["too_few_character_classes", "repetitive"]),
            ("non-ASCII letters and digits (non-ASCII is special)",
             "\u00e4\u00f6\u00fc\u00c4\u00d6\u00dc12", ["too_few_character_classes"]),
            ("a tab", "Valid-Pass\tw0rd", ["control_character"]),
            ("a newline", "Valid-Passw0rd\n", ["control_character"]),
            ("a NUL (\\u0000)", "Valid\u0000Passw0rd", ["control_character"]),
            ("DEL (U+007F)", "Valid-Passw0rd\u007f", ["control_character"]),
            ("a C1 control (U+0085)", "Valid-Passw0rd\u0085", ["control_character"]),
            ("a short one-class password with a tab", "ab\tc",
             ["too_short", "too_few_character_classes", "control_character"]),
            ("a long one-class password with an escape char", "a" * 129 + "\u001b",
             ["too_long", "too_few_character_classes", "control_character", "repetitive"])):
        case("a password of %s gets 400 invalid_password %s" % (desc, want),
             (400, "invalid_password", want), payload=payload(code, pw))
    case("a weak password with an unknown code gets invalid_password: rules come before "
         "the code lookup", (400, "invalid_password", ["too_short"]),
         payload=payload(unk, "Ab1!"))
    # None of these is repetitive (docs/BLOCKLIST.md: no run of one
    # character or of consecutive ones covers half of it), so that they
    # test the spec's rules alone.
    for desc, pw in (("exactly 8 characters", "Kpwz7Rtm"),
                     ("128 code points", "Aa1" + ("\u00e9\u00e0\u00fc" * 42)[:125]),
                     ("lower, upper, digits", "xqzDKF739"),
                     ("lower, upper, special", "xqzDKF!?#"),
                     ("lower, digits, special", "abc123!!!"),
                     ("upper, digits, special", "ABC123!!!"),
                     ("a space as the special class", "xqzkmwp 1"),
                     ("a non-ASCII letter as the special class", "xqzkmwp\u00e91"),
                     ("an emoji as the special class", "xqzkmwp\U0001F600" + "1")):
        case("a password of %s passes the rules" % desc, (400, "invalid_validation_code"),
             payload=payload(unk, pw))

    # -- codes that cannot be valid
    case("an unknown code gets 400 invalid_validation_code",
         (400, "invalid_validation_code"), payload=payload(unk))
    case("an empty code gets 400 invalid_validation_code",
         (400, "invalid_validation_code"), payload=payload(""))
    case("a 300-character code gets 400 invalid_validation_code",
         (400, "invalid_validation_code"), payload=payload("A" * 300))
    case("a non-ASCII code gets 400 invalid_validation_code",
         (400, "invalid_validation_code"), payload=payload("\u00fc" * 32))

    answered_200 = []
    for desc, want, kw in cases:
        with t.claim("%s: %s" % (label, desc)) as cl:
            r = f.cgi(program=program, **kw)
            if r.status == 200:
                answered_200.append(desc)
            if isinstance(want[0], tuple):  # one of several answers
                ok = [w for w in want if r.status == w[0] and isinstance(r.json, dict)
                      and r.json.get("error") == w[1]]
                expect(ok, "want one of %r; got %s" % (want, r.summary()))
                expect_error(r, *ok[0])
            else:
                expect_error(r, *want)
            cl.note(r.summary())

    with t.claim("%s: after all %d refusals the code is still unused and the old "
                 "password still valid" % (label, len(cases))):
        expect(f.code_used_at(code) is None, "used_at was set; answered 200: %r"
               % answered_200)
        expect_eq(f.check_password(email, old), 0, "check-password old")

    with t.claim("%s: ...and the code then resets the password (200)" % label):
        new = strong_password()
        expect_token(f.cgi(payload(code, new), program=program), CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email, new), 0, "check-password new")


def special_cases(t, f):
    with t.claim("an expired code gets 400 invalid_validation_code and changes nothing"):
        email, old, code = f.user_and_code()
        f.expire_code(code)
        expect_error(f.cgi(payload(code, strong_password())), 400, "invalid_validation_code")
        expect(f.code_used_at(code) is None, "expired code marked used")
        expect_eq(f.check_password(email, old), 0, "old password")

    with t.claim("with the database unreachable a request gets 503 temporarily_unavailable "
                 "with Retry-After: %d, within the connect timeout" % RETRY_AFTER) as cl:
        dead = f.write_option_file(path=f.etc + "/dead.cnf",
                                   socket_path=f.base + "/no-such.sock")
        conf = f.write_config("dead.conf", mysql_option_file=dead)
        r = f.cgi(payload(unknown_code(), strong_password()), config=conf,
                  timeout=CONNECT_TIMEOUT + 8)
        cl.note(r.summary())
        expect_error(r, 503, "temporarily_unavailable")
        expect_eq(r.header("retry-after"), str(RETRY_AFTER), "Retry-After")
        expect(r.elapsed < CONNECT_TIMEOUT + 1.5, "took %.1f s" % r.elapsed)

    with t.claim("an unexpected database error (no tables) gets 500 server_error that "
                 "names nothing internal, and the log says why") as cl:
        f.db.sql("CREATE DATABASE empty_db", database=None)
        opt = f.write_option_file(path=f.etc + "/empty.cnf", database="empty_db")
        conf = f.write_config("empty.conf", mysql_option_file=opt)
        r = f.cgi(payload(unknown_code(), strong_password()), config=conf)
        cl.note(r.summary())
        d = expect_error(r, 500, "server_error")
        for word in ("reset_codes", "exist", "SQL", "empty_db"):
            expect(word.lower() not in d["error_description"].lower(),
                   "error_description %r mentions %r" % (d["error_description"], word))
        expect(len(r.stderr.splitlines()) >= 1, "nothing logged")

    with t.claim("a missing config file gets 500 server_error, and stderr names the file"):
        missing = f.etc + "/missing.conf"
        r = f.cgi(payload(unknown_code()), config=missing)
        expect_error(r, 500, "server_error")
        expect(missing.encode() in r.stderr, "stderr %r does not name %s" % (r.stderr, missing))

    with t.claim("a config with a bad value gets 500 server_error, and stderr names the "
                 "file and the key"):
        conf = f.write_config("bad.conf", pbkdf2_iterations="lots")
        r = f.cgi(payload(unknown_code()), config=conf)
        expect_error(r, 500, "server_error")
        expect(conf.encode() in r.stderr and b"pbkdf2_iterations" in r.stderr,
               "stderr %r" % r.stderr)

    with t.claim("without pbkdf2_iterations in the config a reset stores a record of "
                 "600000 iterations (the default) that hashlib verifies"):
        conf = f.write_config("default-iterations.conf", pbkdf2_iterations=None)
        email, old, code = f.user_and_code()
        new = strong_password()
        expect_token(f.cgi(payload(code, new), config=conf), CLIENT_ID, SCOPE, LIFETIME)
        rec = f.password_record(email)
        expect(rec.startswith("pbkdf2_sha256$600000$"), "record %r" % rec)
        expect(verify_django_record(rec, new), "record does not verify")

    with t.claim("with pbkdf2_engine = openssl a reset stores a record hashlib verifies"):
        conf = f.write_config("openssl.conf", pbkdf2_engine="openssl")
        email, old, code = f.user_and_code()
        new = strong_password()
        expect_token(f.cgi(payload(code, new), config=conf), CLIENT_ID, SCOPE, LIFETIME)
        expect(verify_django_record(f.password_record(email), new), "record does not verify")

    with t.claim("a password sent with \\u escapes is stored as its decoded UTF-8 text"):
        email, old, code = f.user_and_code()
        new = "\u00c4rger-\u00fcber-42"
        body = json.dumps(payload(code, new), ensure_ascii=True).encode()
        expect(b"\\u00c4" in body, "body not escaped")
        f.note_secret(new)
        expect_token(f.cgi(body=body), CLIENT_ID, SCOPE, LIFETIME)
        expect(verify_django_record(f.password_record(email), new), "record does not verify")
        expect_eq(f.check_password(email, new), 0, "check-password with the UTF-8 text")

    with t.claim("a 128-code-point multibyte password is accepted and stored"):
        email, old, code = f.user_and_code()
        new = "Aa1" + ("\u20ac\u00a3\u00a5" * 42)[:125]   # not repetitive
        expect_token(f.cgi(payload(code, new)), CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email, new), 0, "check-password")

    with t.claim("a successful reset ignores members other than validation_code and "
                 "password"):
        email, old, code = f.user_and_code()
        new = strong_password()
        body = {"validation_code": code, "password": new, "email": "x@y.z", "n": [1, 2]}
        expect_token(f.cgi(body), CLIENT_ID, SCOPE, LIFETIME)
        expect_eq(f.check_password(email, new), 0, "check-password")

    with t.claim("a refused request writes one log line naming its status and error code"):
        r = f.cgi(body=b"[]")
        lines = [l for l in r.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        expect_eq(len(lines), 1, "log lines %r" % lines)
        expect("400" in lines[0] and "invalid_request" in lines[0], "line %r" % lines[0])


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=ITERATIONS, client_id=CLIENT_ID, scope=SCOPE,
                                access_token_lifetime=LIFETIME,
                                refresh_token_lifetime=REFRESH_LIFETIME,
                                max_body_bytes=MAX_BODY, retry_after=RETRY_AFTER,
                                db_connect_timeout=CONNECT_TIMEOUT).setup())
    programs = (("account-reset.cgi", f.cgi_program),
                ("account-reset as CGI", f.responder))
    for label, program in programs:
        full_reset(t, f, label, program)
        error_matrix(t, f, label, program)
    special_cases(t, f)

    with t.claim("no password, code or token used in this file appears in any CGI "
                 "program's stderr (%d secrets, all runs)" % len(f.secrets)):
        leaked = f.leaks(f.cgi_log())
        expect(not leaked, "%d secret(s) in the logs:\n%s"
               % (len(leaked), f.leak_report(f.cgi_log())))

    with t.claim("the database holds no password, code or token in clear"):
        dump = f.table_dump()
        leaked = f.leaks(dump)
        expect(not leaked, "%d secret(s) stored in clear:\n%s"
               % (len(leaked), f.leak_report(dump)))

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
