#!/usr/bin/env python3
"""test_no_secret_in_logs.py: the run's last test.  Every password, code
and token that the test files before it used must be absent from every log
the run produced.

Each test process leaves a record at exit (harness.py, "run record"): the
secrets its fixtures noted (every password sent or stored, every code
issued, every token answered) and its logs: the responders' stderr, the
FastCGI stderr streams, the CGI processes' and the admin CLI's stderr, and
a copy of every log file of its temporary directories (nginx's and
Apache's error and access logs, MariaDB's error log, the systemd stand-in's
log) made just before they were removed.  This test reads every record and
searches every log for every secret, whichever test file produced either:
raw, JSON-escaped, percent-encoded, and escaped as nginx and Apache escape
bytes in their logs, and, for long random secrets, their first 16
characters (a log that truncates a secret still leaks it).

make check runs it after every other test (Makefile.am).  It first makes
traffic of its own (tests/lib/record_traffic.py, in a child process that
leaves its record like any test), so that it also holds when it runs on
its own, with nothing else in the record.  It removes the record it
searched (AR_KEEP_TMP=1 keeps it), so that the next run starts afresh.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

from harness import TAP, expect, run_record_dir

TRAFFIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib",
                       "record_traffic.py")

OWN = "%s-%d" % (os.path.splitext(os.path.basename(sys.argv[0]))[0], os.getpid())
PREFIX_CHARS = 16


def log_escaped(secret, upper):
    """secret as nginx (upper=True: \\xHH for '"', '\\', controls and
    non-ASCII) or Apache (\\xhh, and \\" \\\\) write it in their logs."""
    out = []
    for b in secret.encode("utf-8"):
        if b == 0x22:
            out.append("\\x22" if upper else '\\"')
        elif b == 0x5c:
            out.append("\\x5C" if upper else "\\\\")
        elif b < 0x20 or b >= 0x7f:
            out.append(("\\x%02X" if upper else "\\x%02x") % b)
        else:
            out.append(chr(b))
    return "".join(out)


def forms(secret):
    """Every spelling of secret that a log could hold, as bytes."""
    texts = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret, safe=""),
             log_escaped(secret, True), log_escaped(secret, False)}
    head = secret[:PREFIX_CHARS]
    if len(secret) >= 24 and len(set(head)) >= 8:   # random enough to mean a leak
        texts.add(head)
    return {t.encode("utf-8") for t in texts if t}


class Record:
    """Everything the test processes of the run left in the record."""

    def __init__(self, top):
        self.top = top
        self.processes = []
        self.secrets = set()
        self.logs = {}          # path relative to top -> bytes
        if not top or not os.path.isdir(top):
            return
        for proc in sorted(os.listdir(top)):
            d = os.path.join(top, proc)
            if proc == OWN or not os.path.isdir(d):
                continue
            self.processes.append(proc)
            for root, _dirs, names in os.walk(d):
                for n in names:
                    path = os.path.join(root, n)
                    rel = os.path.relpath(path, top)
                    with open(path, "rb") as f:
                        data = f.read()
                    if re.match(r"secrets-[0-9]+\.jsonl\Z", n):
                        for line in data.decode("utf-8").splitlines():
                            if line.strip():
                                self.secrets.add(json.loads(line))
                    else:
                        self.logs[rel] = data


def kind_of(rel):
    """Which log a recorded file is."""
    name = os.path.basename(rel)
    if re.match(r"(cgi|admin|fastcgi-stream)-[0-9]+\.stderr\Z", name) \
            or name.endswith("responder.stderr") or name.endswith("service.stderr"):
        return "program"
    if "/db/" in rel:
        return "MariaDB"
    if name.endswith(("access.log", "error.log", "stdio.log")):
        return "web server"
    return "other"


def kind_of_secret(s):
    """What a secret is, by its shape: codes are 32 and tokens 43 URL-safe
    base64 characters; anything else was a password."""
    if re.match(r"\A[A-Za-z0-9_-]{32}\Z", s):
        return "code"
    if re.match(r"\A[A-Za-z0-9_-]{43}\Z", s):
        return "token"
    return "password"


def search(logs, secrets):
    """[(secret, log path, the line)] for every secret found in a log.
    Every form of every secret is looked for in all the logs at once (one
    joined text), then the hit is traced to its file."""
    names = sorted(logs)
    joined = b"\n\0\n".join(logs[n] for n in names)
    starts, pos = [], 0
    for n in names:
        starts.append(pos)
        pos += len(logs[n]) + 3
    found = []
    for s in sorted(secrets):
        for form in forms(s):
            at = joined.find(form)
            if at < 0:
                continue
            i = max(k for k, st in enumerate(starts) if st <= at)
            line_start = joined.rfind(b"\n", 0, at) + 1
            line_end = joined.find(b"\n", at)
            found.append((s, names[i], joined[line_start:line_end][:300]))
            break
    return found


def report(found, limit=5):
    return "\n".join("%r in %s: %r" % (s[:60], path, line) for s, path, line in found[:limit])


def own_traffic(t):
    """Runs record_traffic.py; with no run record configured (run by hand),
    one is made for this run in a temporary directory."""
    if run_record_dir() is None:
        os.environ["AR_RUN_RECORD"] = tempfile.mkdtemp(prefix="ar-record-")
    p = subprocess.run([sys.executable, os.path.normpath(TRAFFIC)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    with t.claim("this test's own traffic (a reset through CGI and FastCGI, a refused "
                 "password, an unknown code, the admin CLI) went as expected"):
        expect(p.returncode == 0, "record_traffic.py exited %d: %s"
               % (p.returncode, p.stdout.decode("utf-8", "replace")[-2000:]))


def main():
    t = TAP()
    own_traffic(t)
    top = run_record_dir()
    rec = Record(top)
    kinds = {}
    for rel in rec.logs:
        kinds.setdefault(kind_of(rel), []).append(rel)
    size = sum(len(v) for v in rec.logs.values())
    t.diag("record %s: %d test processes, %d secrets, %d logs (%d bytes): %s" % (
        top, len(rec.processes), len(rec.secrets), len(rec.logs), size,
        ", ".join("%d %s" % (len(v), k) for k, v in sorted(kinds.items()))))

    shapes = {}
    for s in rec.secrets:
        shapes[kind_of_secret(s)] = shapes.get(kind_of_secret(s), 0) + 1
    t.diag("secrets: %s" % ", ".join("%d %ss" % (n, k) for k, n in sorted(shapes.items())))

    with t.claim("the run record holds the secrets (passwords, codes and tokens) and the "
                 "logs of the tests run before this one, program log lines among them"):
        expect(top, "no run record: set AR_BUILDDIR or AR_RUN_RECORD")
        expect(rec.processes, "nothing in %s: run this test after the others (make check "
               "does)" % top)
        for k in ("password", "code", "token"):
            expect(shapes.get(k), "no %s was recorded" % k)
        lines = sum(rec.logs[r].count(b"request id=") for r in kinds.get("program", []))
        expect(lines > 0, "no program log line (request id=...) in the record")

    with t.claim("the search finds a secret in each spelling it looks for, and in a "
                 "truncated log line, and nothing in a clean log"):
        probe = 'Pr0be-"\\secret-\u00e9\u20ac-%s' % os.urandom(8).hex()
        token = "tok" + os.urandom(30).hex()
        spellings = sorted(forms(probe) | forms(token))
        for i, spelled in enumerate(spellings):
            got = search({"a.log": b"x " + spelled + b" y", "b.log": b"clean\n"},
                         {probe, token})
            expect(len(got) == 1 and got[0][1] == "a.log", "spelling %d %r not found: %r"
                   % (i, spelled, got))
        expect(search({"t.log": b"token=" + token[:PREFIX_CHARS].encode() + b"..."},
                      {token}), "a truncated token not found")
        expect(not search({"c.log": b"nothing to see " * 100}, {probe, token}),
               "a clean log was flagged")

    for kind, what in (("program", "the program's logs: responder stderr, FastCGI stderr "
                                   "streams, CGI processes, the admin CLI"),
                       ("web server", "nginx's and Apache's error and access logs"),
                       ("MariaDB", "MariaDB's error logs"),
                       ("other", "every other log file of the run")):
        paths = kinds.get(kind, [])
        with t.claim("no password, code or token of the whole run appears in %s (%d files)"
                     % (what, len(paths))):
            found = search({p: rec.logs[p] for p in paths}, rec.secrets)
            expect(not found, "%d secret(s) found:\n%s" % (len(found), report(found)))

    if top and os.path.isdir(top) and os.environ.get("AR_KEEP_TMP") != "1":
        for proc in rec.processes:
            shutil.rmtree(os.path.join(top, proc), ignore_errors=True)
        try:
            os.rmdir(top)
        except OSError:  # another test process has left something since
            pass
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
