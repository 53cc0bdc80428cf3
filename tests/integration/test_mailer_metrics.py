#!/usr/bin/env python3
"""test_mailer_metrics.py: account-reset-mailer --metrics, its own
Prometheus listener, against a real MariaDB and a real SMTP sink.

The mailer runs as a daemon with --metrics 127.0.0.1:PORT; the test sends
recover requests whose outcomes it knows (a known address mailed, an
unknown one, a 5xx, a 4xx retried) and after each step scrapes GET
/metrics and compares with the queue: outcomes by kind (sent,
suppressed, unknown, failed, expired), retries, the SMTP duration
histogram (one per SMTP transaction), rows by state, rows due and the age
of the oldest.  The listener answers only GET /metrics, and the metrics
hold no address and no code.
"""

import os
import re
import subprocess
import sys

from harness import TAP, Fixture, expect, expect_eq, wait_for, scaled
from smtpd import MailSink, Mailer, mail_settings, queue_rows
import prometheus
from prometheus import parse, value
from webservers import free_port

PATH = "/api/v2/account/recover/"
ENV = {"DOCUMENT_URI": PATH, "REQUEST_URI": PATH, "SCRIPT_NAME": PATH}
_addr = [0]


def recover(f, email):
    _addr[0] += 1
    env = dict(ENV, REMOTE_ADDR="10.9.%d.1" % _addr[0])
    r = f.cgi({"email": email}, env=env)
    expect(r.status == 202, "recover answered %s" % r.summary())


def scrape(port, path="/metrics", method="GET"):
    status, _, text = prometheus.scrape(port, path, method)
    return status, text


def outcome(s, kind):
    return value(s, "account_reset_mailer_outcomes_total", outcome=kind)


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f, tls=False, auth=False)
    f.settings.update(mail_settings(sink, recover_account_interval=0,
                                    recover_account_daily_limit=1000,
                                    mailer_backoff=3600, mailer_poll_interval=1))
    t.setup(f.setup)
    t.setup(sink.start)
    port = free_port()
    mailer = Mailer(f, args=Mailer(f).args + ["--metrics", "127.0.0.1:%d" % port])
    mailer.start()
    email, _ = t.setup(f.create_user)

    def scrape_when(cond):
        got = {}

        def ready():
            st, text = scrape(port)
            got["s"] = parse(text) if st == 200 else {}
            return st == 200 and cond(got["s"])
        wait_for(ready, timeout=scaled(30), step=0.2)
        return got["s"]

    with t.claim("the mailer's listener answers GET /metrics with every counter at zero "
                 "and the queue empty"):
        wait_for(lambda: mailer.alive() and _up(port), timeout=scaled(30), step=0.1)
        st, text = scrape(port)
        expect_eq(st, 200, "status")
        s = parse(text)
        for kind in ("sent", "suppressed", "unknown", "failed", "expired"):
            expect_eq(outcome(s, kind), 0.0, kind)
        expect_eq(value(s, "account_reset_mailer_retries_total"), 0.0, "retries")
        expect_eq(value(s, "account_reset_mailer_queue_up"), 1.0, "queue_up")
        expect_eq(value(s, "account_reset_mailer_queue_rows", state="queued"), 0.0, "queued")

    with t.claim("a mail sent and an unknown address: sent 1, unknown 1, one SMTP "
                 "transaction in the histogram, the queue rows by state match the table"):
        recover(f, email)
        recover(f, "nobody-here@example.test")
        s = scrape_when(lambda s: outcome(s, "sent") == 1 and outcome(s, "unknown") == 1)
        expect_eq(value(s, "account_reset_mailer_smtp_duration_seconds_count"), 1.0, "count")
        expect_eq(value(s, "account_reset_mailer_smtp_duration_seconds_bucket", le="+Inf"),
                  1.0, "+Inf")
        expect(value(s, "account_reset_mailer_smtp_duration_seconds_sum") > 0, "sum")
        states = {}
        for r in queue_rows(f):
            states[r["state"]] = states.get(r["state"], 0) + 1
        for st in ("queued", "sent", "suppressed", "unknown", "failed", "expired"):
            expect_eq(value(s, "account_reset_mailer_queue_rows", state=st),
                      float(states.get(st, 0)), "rows %s" % st)

    with t.claim("SMTP 5xx: given up, counted as failed"):
        sink.restart(reject=550)
        recover(f, email)
        s = scrape_when(lambda s: outcome(s, "failed") == 1)
        expect_eq(value(s, "account_reset_mailer_smtp_duration_seconds_count"), 2.0, "count")

    with t.claim("SMTP 4xx: counted as a retry; the row waits queued and not yet due"):
        sink.restart(reject=451)
        recover(f, email)
        s = scrape_when(lambda s: value(s, "account_reset_mailer_retries_total") == 1)
        expect_eq(value(s, "account_reset_mailer_queue_rows", state="queued"), 1.0, "queued")
        expect_eq(value(s, "account_reset_mailer_queue_due_rows"), 0.0, "due")
        expect_eq(value(s, "account_reset_mailer_oldest_due_seconds"), 0.0, "oldest due")

    with t.claim("rows waiting while the mailer is busy: due rows and the age of the "
                 "oldest due one, in seconds"):
        # Each DATA takes seconds: while the mailer sends one, the others
        # wait due (made due 600 s ago); a scrape is served between two.
        sink.restart(reject=None, data_delay=scaled(2))
        for i in range(3):
            recover(f, email)
        f.db.sql("UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) - INTERVAL 600 SECOND "
                 "WHERE state = 'queued' AND lease_token IS NULL AND attempts = 0")
        s = parse(scrape(port)[1])
        due = value(s, "account_reset_mailer_queue_due_rows")
        age = value(s, "account_reset_mailer_oldest_due_seconds")
        expect(due >= 1 and age >= 600, "due %r, oldest due %r s" % (due, age))
        s = scrape_when(lambda s: outcome(s, "sent") == 4)
        expect_eq(value(s, "account_reset_mailer_queue_due_rows"), 0.0, "due at the end")

    with t.claim("scripts/mail-sink --print shows a kept mail decoded (the quick start's "
                 "way to read one): its link has the code where the file, "
                 "quoted-printable, has code=3D"):
        path = os.path.join(sink.maildir, sink.files()[0])
        with open(path, "rb") as fh:
            raw = fh.read()
        p = subprocess.run([sys.executable, os.path.join(f.srcdir, "scripts", "mail-sink"),
                            "--print", path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=scaled(30))
        out = p.stdout.decode("utf-8", "replace")
        expect_eq(p.returncode, 0, "exit status (%r)" % p.stderr[-300:])
        m = re.search(r"#code=([A-Za-z0-9_-]{20,})$", out, re.M)
        expect(m, "no decoded link in %r" % out[:400])
        f.note_secret(m.group(1))
        expect(b"#code=3D" in raw, "the file is not quoted-printable")
        expect("Subject: " in out, "no Subject line")

    with t.claim("the listener answers only GET /metrics: 404 for another path, 405 for "
                 "another method"):
        expect_eq(scrape(port, "/other")[0], 404, "other path")
        expect_eq(scrape(port, method="POST")[0], 405, "POST")

    with t.claim("the metrics hold no address and no code"):
        text = scrape(port)[1]
        mailer.stop()
        expect("@" not in text, "an address is in the metrics")
        expect(not f.leaks(text), f.leak_report(text))

    t.done()


def _up(port):
    try:
        return scrape(port)[0] == 200
    except OSError:
        return False


if __name__ == "__main__":
    main()
