#!/usr/bin/env python3
"""test_blocklist.py: passwords that meet the spec's rules but are common,
repetitive or contain the account's e-mail, through the real responder
(CGI, FastCGI, the supervisor's workers) against a real MariaDB.

The lists are made here: text, gzip, and compact files built by
`account-reset-admin blocklist build`, whose bytes are checked against a
second implementation of docs/BLOCKLIST.md written below.  A refusal keeps
the code usable; contains_email is only answered for a valid code; a list
that cannot be read stops the program at start, in every process model and
in --check-config; create-user applies the same checks; the fold is the
documented rule for every code point below U+0500.
"""

import gzip
import hashlib
import os
import re
import signal
import struct
import subprocess
import time

from harness import (TAP, Fixture, HarnessError, expect, expect_eq, expect_error,
                     expect_token as expect_token_of, find_program, make_tempdir,
                     strong_password, wait_for)

COMMON = ["Password1", "Welcome123!", "Qwerty123", "Dragon2024!", "Letmein!99",
          "Sunshine#7"]
TOOL = "tests/tools/blocklist-tool"


def fold(s):
    """docs/BLOCKLIST.md: below U+0500, a one-code-point lowercase."""
    return "".join(c.lower() if ord(c) < 0x500 and len(c.lower()) == 1 else c
                   for c in s)


def classes(s):
    k = set()
    for c in s:
        if "a" <= c <= "z":
            k.add("lower")
        elif "A" <= c <= "Z":
            k.add("upper")
        elif "0" <= c <= "9":
            k.add("digit")
        elif ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f:
            k.add("control")
        else:
            k.add("special")
    return k


def useful(folded):
    """Some password that meets the rules folds to this entry."""
    k = classes(folded)
    if not 8 <= len(folded) <= 128 or "control" in k:
        return False
    lowers = sum(1 for c in folded if "a" <= c <= "z")
    return len(k) + (1 if lowers >= 2 else 0) >= 3


def reference_compact(lines):
    """The compact file of docs/BLOCKLIST.md, written from the text."""
    fps = set()
    for line in lines:
        f = fold(line)
        if useful(f):
            fps.add(int.from_bytes(hashlib.sha256(f.encode("utf-8")).digest()[:8], "big"))
    header = b"ARBLKLST" + struct.pack("<IIIIIIQ", 1, 1, 64, 8, 128, 3, len(fps))
    header += b"\0" * (64 - len(header))
    return header + b"".join(struct.pack("<Q", v) for v in sorted(fps))


def smaps(pid):
    """The memory lines of /proc/PID/smaps_rollup, in kB."""
    out = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as fh:
            for line in fh:
                m = re.match(r"(\w+):\s+(\d+) kB", line)
                if m:
                    out[m.group(1)] = int(m.group(2))
    except OSError:
        pass
    return out


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    etc = f.etc
    tool = os.path.join(f.builddir, TOOL)

    def expect_token(r):
        return expect_token_of(r, f.settings["client_id"], f.settings["scope"],
                               f.settings["access_token_lifetime"])

    def path(name):
        return os.path.join(etc, name)

    def write_list(name, lines, opener=open):
        with opener(path(name), "wb") as fh:
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))
        return path(name)

    def build(src, out):
        r = f.admin("blocklist", "build", src, out, config=False)
        if r.returncode != 0:
            raise HarnessError("blocklist build failed: %s" % r.stderr)
        return r

    def config_with(name, blocklist):
        return f.write_config(name, password_blocklist=blocklist)

    def reset(password, code=None, config=None, fcgi=None, env=None):
        f.note_secret(password)
        body = {"validation_code": code or "no-such-code-%s" % os.urandom(6).hex(),
                "password": password}
        if fcgi is not None:
            return fcgi.request(body, env=env)
        return f.cgi(body, config=config, env=env)

    text_list = write_list("common.txt", COMMON + ["password", "12345678", ""])
    gz_list = write_list("common.txt.gz", COMMON, opener=gzip.open)
    compact = path("common.blk")
    text_conf = config_with("text.conf", text_list)

    # -- the format

    with t.claim("blocklist build writes exactly the compact file of docs/BLOCKLIST.md "
                 "(checked against a second implementation)") as cl:
        r = build(text_list, compact)
        cl.note(r.stdout.strip())
        with open(compact, "rb") as fh:
            got = fh.read()
        expect_eq(got, reference_compact(COMMON + ["password", "12345678", ""]), "bytes")

    with t.claim("build reads gzip lists and says how many entries it kept and left out"):
        r = build(gz_list, path("from-gz.blk"))
        expect(re.search(r"%d entries from %d lines" % (len(COMMON), len(COMMON)), r.stdout),
               "stdout %r" % r.stdout)
        with open(path("from-gz.blk"), "rb") as a, open(compact, "rb") as b:
            expect_eq(a.read(), b.read(), "the gzip list's compact file")

    with t.claim("the fold is the documented rule for every code point below U+0500 "
                 "and leaves a sample above it alone"):
        text = "".join(chr(c) for c in range(0x20, 0x500) if not 0xd800 <= c <= 0xdfff)
        text += "\u1e9e\u212a\u2c65\u0130\U0001f600"
        p = subprocess.run([tool, "fold"], input=text.encode("utf-8"),
                           stdout=subprocess.PIPE, check=True)
        got = p.stdout.decode("utf-8")
        want = fold(text)
        bad = [(hex(ord(a)), hex(ord(b))) for a, b in zip(got, want) if a != b][:5]
        expect(got == want, "fold differs: %r" % (bad,))

    with t.claim("build refuses a missing list and leaves no file behind"):
        r = f.admin("blocklist", "build", path("nope.txt"), path("nope.blk"), config=False)
        expect_eq(r.returncode, 2, "exit status")
        expect("cannot open" in r.stderr, "stderr %r" % r.stderr)
        expect(not os.path.exists(path("nope.blk")), "an output file was made")

    # -- the checks through the responder (CGI)

    for kind, conf in (("text", text_conf), ("gzip", config_with("gz.conf", gz_list)),
                       ("compact", config_with("compact.conf", compact))):
        with t.claim("CGI, %s list: a common password in another case is refused as "
                     "common_password and the code stays usable" % kind):
            email, old, code = f.user_and_code()
            r = reset("pASSWORD1", code, config=conf)
            expect_error(r, 400, "invalid_password", ["common_password"])
            expect(f.code_used_at(code) is None, "the code was used")
            expect_eq(f.check_password(email, old), 0, "old password")
            expect_token(reset(strong_password(), code, config=conf))

    with t.claim("a password both repetitive and common lists both, in order"):
        lst = write_list("rep.txt", ["Aaaaaaa1!"])
        r = reset("AAAAAAA1!", config=config_with("rep.conf", lst))
        expect_error(r, 400, "invalid_password", ["repetitive", "common_password"])

    with t.claim("a repetitive password (a run of half its characters) is refused, "
                 "the code stays usable"):
        email, old, code = f.user_and_code()
        expect_error(reset("Abcd1234", code), 400, "invalid_password", ["repetitive"])
        expect_error(reset("Xx-98765!", code), 400, "invalid_password", ["repetitive"])
        expect(f.code_used_at(code) is None, "the code was used")
        expect_token(reset("Abc-1234x", code))   # 9 characters, runs of 4

    with t.claim("a password the spec's rules refuse gets every violation in one "
                 "answer: the rules', common_password and repetitive (issue 17)"):
        expect_error(reset("password1", config=text_conf), 400, "invalid_password",
                     ["too_few_character_classes", "common_password"])
        expect_error(reset("aaaaaaaa1", config=text_conf), 400, "invalid_password",
                     ["too_few_character_classes", "repetitive"])
        # Too short is not also repetitive: half of 6 characters says little.
        expect_error(reset("Aaaa1!", config=text_conf), 400, "invalid_password",
                     ["too_short"])
        # "password" itself is no entry: no password the rules accept can
        # match it, so the list leaves it out (docs/BLOCKLIST.md).
        expect_error(reset("password", config=text_conf), 400, "invalid_password",
                     ["too_few_character_classes"])

    with t.claim("with a valid code, a password containing the e-mail's local part "
                 "(any case) is refused as contains_email; the code stays usable"):
        email = "Jane.Doe%s@example.test" % os.urandom(2).hex()
        f.create_user(email)
        code = f.issue_code(email)
        local = email.split("@")[0]
        r = reset("X-%s-9" % local.upper(), code)
        expect_error(r, 400, "invalid_password", ["contains_email"])
        expect(f.code_used_at(code) is None, "the code was used")
        expect_token(reset(strong_password(), code))

    with t.claim("an unknown code with such a password is invalid_validation_code: "
                 "nothing about the account is told"):
        r = reset("X-%s-9" % local.upper())
        expect_error(r, 400, "invalid_validation_code")

    with t.claim("a local part of 3 characters is not checked"):
        email = "Bob@%s.test" % os.urandom(3).hex()
        f.create_user(email)
        code = f.issue_code(email)
        expect_token(reset("Bob-x-%s!9" % os.urandom(3).hex(), code))

    with t.claim("a common password with an unknown code is refused before the lookup, "
                 "and is not counted as a failed code attempt"):
        before = f.db.sql_value("SELECT COALESCE(SUM(failures), 0) FROM attempt_failures")
        r = reset("Welcome123!", config=text_conf, env={"REMOTE_ADDR": "192.0.2.77"})
        expect_error(r, 400, "invalid_password", ["common_password"])
        after = f.db.sql_value("SELECT COALESCE(SUM(failures), 0) FROM attempt_failures")
        expect_eq(after, before, "failures counted")

    # -- a list that cannot be read stops the program at start

    truncated = path("truncated.blk")
    with open(compact, "rb") as fh:
        data = fh.read()
    with open(truncated, "wb") as fh:
        fh.write(data[:-3])
    badgz = path("bad.txt.gz")
    with open(gz_list, "rb") as fh:
        data = bytearray(fh.read())
    data[-6] ^= 0xff
    with open(badgz, "wb") as fh:
        fh.write(bytes(data))
    broken = [("missing", path("missing.txt")), ("a directory", etc),
              ("a truncated compact file", truncated), ("a damaged gzip list", badgz)]

    for what, bad in broken:
        conf = config_with("broken.conf", bad)
        with t.claim("--check-config refuses %s, naming password_blocklist" % what) as cl:
            p = subprocess.run([f.responder, "--check-config", "--config", conf],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            err = p.stderr.decode("utf-8", "replace")
            cl.note(err.strip())
            expect_eq(p.returncode, 1, "exit status")
            expect("password_blocklist" in err and bad in err, "stderr %r" % err)

        with t.claim("CGI with %s answers 500 and logs why" % what):
            email, old, code = f.user_and_code()
            r = reset(strong_password(), code, config=conf)
            expect_error(r, 500, "server_error")
            expect(b"password_blocklist" in r.stderr, "stderr %r" % r.stderr)
            expect(f.code_used_at(code) is None, "the code was used")

        for mode in ("spawn-fcgi", "listen"):
            with t.claim("FastCGI (%s) with %s does not start" % (mode, what)):
                try:
                    fc = f.fastcgi(children=1 if mode == "spawn-fcgi" else 2, mode=mode,
                                   config=conf, args=None)
                except HarnessError as e:
                    expect("password_blocklist" in str(e), "no reason given: %s" % e)
                else:
                    fc.kill()
                    expect(False, "it started")

    with t.claim("a list the process may not read (mode 0600, another owner) stops "
                 "--check-config and the CGI program with 'Permission denied'") as cl:
        # As root nothing is unreadable: the programs run as nobody then.
        d = make_tempdir()
        os.chmod(d, 0o755)
        mycnf = os.path.join(d, "my.cnf")
        with open(mycnf, "w") as fh:
            fh.write("[account-reset]\nsocket=%s/none.sock\n" % d)
        os.chmod(mycnf, 0o640)
        secret_list = os.path.join(d, "list.txt")
        with open(secret_list, "w") as fh:
            fh.write("Password1\n")
        os.chmod(secret_list, 0o600 if os.geteuid() == 0 else 0)
        conf = os.path.join(d, "account-reset.conf")
        with open(conf, "w") as fh:
            fh.write("mysql_option_file = %s\npassword_blocklist = %s\n" % (mycnf, secret_list))
        os.chmod(conf, 0o644)
        as_other = [find_program("setpriv"), "--reuid=65534", "--regid=65534",
                    "--clear-groups", "--"] if os.geteuid() == 0 else []
        p = subprocess.run(as_other + [f.responder, "--check-config", "--config", conf],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        cl.note(err.strip())
        expect_eq(p.returncode, 1, "exit status of --check-config")
        expect("password_blocklist" in err and "Permission denied" in err, "stderr %r" % err)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REQUEST_METHOD": "POST",
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "2",
               "GATEWAY_INTERFACE": "CGI/1.1", "ACCOUNT_RESET_CONFIG": conf}
        p = subprocess.run(as_other + [f.cgi_program], input=b"{}", env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        expect(b"Status: 500" in p.stdout, "CGI answer %r" % p.stdout[:200])
        expect("Permission denied" in err, "CGI stderr %r" % err)

    with t.claim("--check-config with a readable list says OK and how many entries"):
        p = subprocess.run([f.responder, "--check-config", "--config",
                            config_with("ok.conf", compact)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out = p.stdout.decode()
        expect_eq(p.returncode, 0, "exit status")
        expect(re.search(r"%d entries, compact file" % len(COMMON), out), "stdout %r" % out)

    # -- FastCGI: one process, and the supervisor's workers

    with t.claim("FastCGI with the compact file refuses a common password and then "
                 "resets with a good one"):
        fc = f.fastcgi(config=config_with("fc.conf", compact))
        try:
            email, old, code = f.user_and_code()
            expect_error(reset("qWERTY123", code, fcgi=fc), 400, "invalid_password",
                         ["common_password"])
            expect_token(reset(strong_password(), code, fcgi=fc))
        finally:
            fc.stop()

    with t.claim("supervisor mode: a text list loaded before fork is used by every "
                 "worker, and a SIGHUP with a new list replaces it"):
        lst = write_list("live.txt", ["Password1"])
        conf = config_with("live.conf", lst)
        fc = f.fastcgi(children=2, mode="listen", config=conf)
        try:
            for _ in range(6):
                expect_error(reset("Password1", fcgi=fc), 400, "invalid_password",
                             ["common_password"])
            expect("password blocklist %s: 1 entries" % lst in fc.log_text().decode(),
                   "no log line about the list")
            write_list("live2.txt", ["Autumn-2026"])
            os.replace(path("live2.txt"), lst)
            old_workers = set(fc.workers())
            os.kill(fc.pids[0], signal.SIGHUP)
            wait_for(lambda: not (set(fc.workers()) & old_workers) and
                     len(fc.workers()) >= 2, 30)
            expect_error(reset("AUTUMN-2026", fcgi=fc), 400, "invalid_password",
                         ["common_password"])
            expect_error(reset("Password1", fcgi=fc), 400, "invalid_validation_code")
        finally:
            fc.stop()

    with t.claim("a SIGHUP whose list cannot be read is refused and the running list kept"):
        conf = config_with("keep.conf", compact)
        fc = f.fastcgi(children=1, mode="listen", config=conf)
        try:
            config_with("keep.conf", path("missing.txt"))
            os.kill(fc.pids[0], signal.SIGHUP)
            wait_for(lambda: b"reload refused" in fc.log_text(), 30)
            expect(b"reload refused" in fc.log_text(), "no refusal logged")
            expect(fc.alive(), "the supervisor stopped")
            expect_error(reset("Password1", fcgi=fc), 400, "invalid_password",
                         ["common_password"])
        finally:
            fc.stop()

    # -- the admin CLI

    for what, pw, email in (("common", "Sunshine#7", None),
                            ("repetitive", "Zyxwv-98!", None),
                            ("containing the e-mail's local part", "XmaryX-99!",
                             "maryx@example.test")):
        with t.claim("create-user refuses a %s password and creates no user" % what):
            e = email or f.new_email()
            f.note_secret(pw)
            r = f.admin("create-user", e, input=pw + "\n", config=text_conf)
            expect_eq(r.returncode, 1, "exit status (stderr %r)" % r.stderr)
            expect(f.user_id(e) is None, "user created")
            expect(pw not in r.stderr, "the password is echoed")

    with t.claim("create-user with a list that cannot be read fails and creates no user"):
        e = f.new_email()
        r = f.admin("create-user", e, input=strong_password() + "\n",
                    config=config_with("broken.conf", path("missing.txt")))
        expect_eq(r.returncode, 2, "exit status")
        expect("password_blocklist" in r.stderr, "stderr %r" % r.stderr)
        expect(f.user_id(e) is None, "user created")

    # -- scale: a list of 1,000,000 entries

    big_txt = path("big.txt")
    big_blk = path("big.blk")
    n = 1000000
    def big_entry(i):
        # Distinct (an odd multiplier is a bijection of 32-bit numbers),
        # 13 characters of at least three classes, none repetitive.
        return "Bx-%08x-q" % ((i * 2654435761) & 0xffffffff)

    with open(big_txt, "w") as fh:
        fh.write("".join(big_entry(i) + "\n" for i in range(n)))

    with t.claim("a 1,000,000-entry list builds into a compact file of 8 bytes an entry") as cl:
        start = time.monotonic()
        r = build(big_txt, big_blk)
        t.diag("build: %.2f s wall; %s" % (time.monotonic() - start, r.stdout.strip()))
        expect_eq(os.path.getsize(big_blk), 64 + 8 * n, "size")

    for kind, lst in (("text", big_txt), ("compact", big_blk)):
        with t.claim("supervisor mode with the 1,000,000-entry %s list: loaded before "
                     "the workers start, every worker refuses its entries" % kind) as cl:
            start = time.monotonic()
            fc = f.fastcgi(children=2, mode="listen", config=config_with("big.conf", lst))
            try:
                for i in (1, 500001, 999999):
                    expect_error(reset(big_entry(i).upper(), fcgi=fc), 400,
                                 "invalid_password", ["common_password"])
                elapsed = time.monotonic() - start
                m = re.search(r"password blocklist \S+: (\d+) entries.*loaded in ([0-9.]+) ms",
                              fc.log_text().decode("utf-8", "replace"))
                expect(m is not None and int(m.group(1)) == n, "log: %r" % fc.log_text()[-400:])
                t.diag("%s list: loaded in %s ms (start to three answers %.2f s)"
                        % (kind, m.group(2) if m else "?", elapsed))
                for pid in [fc.pids[0]] + fc.workers():
                    mem = smaps(pid)
                    t.diag("pid %d (%s): Rss %d kB, Pss %d kB, private %d kB, shared %d kB"
                            % (pid, "supervisor" if pid == fc.pids[0] else "worker",
                               mem.get("Rss", 0), mem.get("Pss", 0),
                               mem.get("Private_Clean", 0) + mem.get("Private_Dirty", 0),
                               mem.get("Shared_Clean", 0) + mem.get("Shared_Dirty", 0)))
            finally:
                fc.stop()

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
