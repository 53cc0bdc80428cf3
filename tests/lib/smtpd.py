"""smtpd.py: a real SMTP server for the tests, and the mailer to drive.

  * MailSink: scripts/mail-sink (Debian's python3-aiosmtpd) as a process
    on a free 127.0.0.1 port, by default with STARTTLS required (a
    throwaway certificate for 127.0.0.1 made here with the openssl CLI)
    and AUTH required (a random password, noted as a secret).  It keeps
    every message as a file; messages() reads them back with Python's
    email package.  stop()/start() bring it down and up on the same port
    and maildir; reject=CODE answers every RCPT with that code;
    data_delay stalls each DATA answer.
  * Mailer: account-reset-mailer against a Fixture's config, either
    --once (run()) or as a daemon (start()/stop()/kill()); its stderr is
    kept in the fixture's directory as mailer-N.stderr, so that the run's
    last test searches it for secrets.
  * mail_settings(sink): the config keys that point the mailer at a sink.
  * code_of(msg): the validation code in a delivered mail, noted as a
    secret of the fixture.

Standard library only, plus the mail-sink program it starts.
"""

import email
import email.policy
import json
import os
import re
import secrets
import signal
import subprocess
import time

from harness import (HarnessError, _base_env, _end_process, _kill_process,
                     _preexec_for_server, _write_private, find_program, on_exit, scaled,
                     wait_for)

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.path.abspath(os.environ.get("AR_BUILDDIR") or SRCDIR)
MAIL_SINK = os.path.join(SRCDIR, "scripts", "mail-sink")
MAILER = os.path.join(BUILDDIR, "account-reset-mailer")
TEMPLATES = os.path.join(SRCDIR, "conf", "mail")
CODE_RE = re.compile(r"#code=([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")


def free_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    cert = os.path.join(directory, "smtp-cert.pem")
    key = os.path.join(directory, "smtp-key.pem")
    r = subprocess.run([find_program("openssl"), "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise HarnessError("openssl req failed: %s" % r.stdout.decode(errors="replace"))
    os.chmod(key, 0o600)
    return cert, key


class MailSink:
    """A real SMTP server process that keeps what it is sent."""

    _count = 0

    def __init__(self, fixture, tls=True, auth=True, reject=None, data_delay=0.0):
        MailSink._count += 1
        self.fixture = fixture
        self.dir = os.path.join(fixture.base, "smtp%d" % MailSink._count)
        os.mkdir(self.dir, 0o700)
        self.maildir = os.path.join(self.dir, "mail")
        self.log_path = os.path.join(self.dir, "mail-sink.log")
        self.port = free_port()
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_cert(self.dir)
        self.user = self.password = None
        self.auth_file = None
        if auth:
            self.user = "mailer"
            self.password = "Smtp-" + secrets.token_urlsafe(18)
            fixture.note_secret(self.password)
            self.auth_file = os.path.join(self.dir, "sink-auth")
            _write_private(self.auth_file, "user = %s\npassword = %s\n"
                           % (self.user, self.password))
        self.reject = reject
        self.data_delay = data_delay
        self.proc = None
        on_exit(self.note_codes)
        on_exit(self.stop)

    def note_codes(self):
        """Notes the code of every mail delivered as a secret of the
        fixture, read or not by a test: the run's last test searches every
        log for them."""
        for n in self.files():
            with open(os.path.join(self.maildir, n), "rb") as f:
                raw = f.read()
            text = email.message_from_bytes(raw, policy=email.policy.default)
            try:
                body = text.get_body(preferencelist=("plain",)).get_content()
            except (AttributeError, KeyError, LookupError):
                continue
            for code in CODE_RE.findall(body):
                self.fixture.note_secret(code)

    def command(self):
        cmd = [find_program("python3") if not os.path.exists("/usr/bin/python3")
               else "/usr/bin/python3", MAIL_SINK, "--listen", "127.0.0.1:%d" % self.port,
               "--maildir", self.maildir, "--ready-file", os.path.join(self.dir, "ready")]
        if self.cert:
            cmd += ["--tls-cert", self.cert, "--tls-key", self.key]
        if self.auth_file:
            cmd += ["--auth-file", self.auth_file]
        if self.reject:
            cmd += ["--reject", str(self.reject)]
        if self.data_delay:
            cmd += ["--data-delay", str(self.data_delay)]
        return cmd

    def start(self, timeout=20.0):
        ready = os.path.join(self.dir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf, env=_base_env(),
                                         preexec_fn=_preexec_for_server())
        deadline = time.monotonic() + scaled(timeout)
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise HarnessError("mail-sink did not start: %s" % self.log_text())
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc is not None:
            _end_process(self.proc, 5.0)

    def restart(self, **changes):
        """Stops, changes reject/data_delay, starts again on the same port."""
        self.stop()
        for k, v in changes.items():
            setattr(self, k, v)
        return self.start()

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def files(self):
        if not os.path.isdir(self.maildir):
            return []
        return sorted(n for n in os.listdir(self.maildir) if n.endswith(".eml"))

    def messages(self):
        """[(envelope dict, raw bytes, email.message.EmailMessage)] in order."""
        out = []
        for n in self.files():
            base = os.path.join(self.maildir, n[:-4])
            with open(base + ".eml", "rb") as f:
                raw = f.read()
            with open(base + ".json") as f:
                env = json.load(f)
            out.append((env, raw, email.message_from_bytes(raw, policy=email.policy.default)))
        return out

    def wait_for(self, count, timeout=30.0):
        wait_for(lambda: len(self.files()) >= count, timeout)
        return self.messages()

    def settings(self, **extra):
        """The mailer's config keys for this sink."""
        s = {"smtp_url": "smtp://127.0.0.1:%d" % self.port,
             "smtp_require_tls": "on" if self.cert else "off",
             "smtp_ca_file": self.cert or "",
             "smtp_credentials_file": self.credentials_file() if self.auth_file else ""}
        s.update(extra)
        return s

    def credentials_file(self):
        """The mailer's credentials file (mode 0600)."""
        path = os.path.join(self.fixture.etc, "smtp-credentials-%d" % MailSink._count)
        _write_private(path, "# for the test sink\nuser = %s\npassword = %s\n"
                       % (self.user, self.password))
        return path


# What every mailer test needs besides the sink's keys.
MAILER_DEFAULTS = {
    "mail_from": "noreply@example.test",
    "reset_url": "https://app.example.test/reset",
    "mail_template_dir": TEMPLATES,
    "smtp_connect_timeout": 2,
    "smtp_timeout": 10,
    "mailer_backoff": 30,
    "mailer_poll_interval": 1,
    "mailer_max_attempts": 5,
}


def mail_settings(sink=None, **extra):
    s = dict(MAILER_DEFAULTS)
    if sink is not None:
        s.update(sink.settings())
    s.update(extra)
    return s


class Mailer:
    """account-reset-mailer for a fixture: run() for --once, start() for
    the daemon.  Its stderr goes to DIR/mailer-N.stderr."""

    _count = 0

    def __init__(self, fixture, config=None, program=None, args=None):
        Mailer._count += 1
        self.fixture = fixture
        self.config = config or fixture.config_path
        self.program = program or MAILER
        self.args = list(args if args is not None else
                         (["--allow-root"] if os.geteuid() == 0 else []))
        self.stderr_path = os.path.join(fixture.base, "mailer-%d.stderr" % Mailer._count)
        self.proc = None
        on_exit(self.kill)

    def command(self, once):
        return [self.program, "--config", self.config] + (["--once"] if once else []) + self.args

    def run(self, timeout=120.0):
        """--once: works off what is due and exits; the CompletedProcess."""
        with open(self.stderr_path, "ab") as errf:
            return subprocess.run(self.command(True), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=errf, env=_base_env(),
                                  timeout=timeout)

    def start(self):
        errf = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(self.command(False), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=errf,
                                         env=_base_env(), preexec_fn=_preexec_for_server())
        finally:
            errf.close()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signo):
        if self.alive():
            self.proc.send_signal(signo)

    def stop(self, grace=30.0):
        if self.proc is not None:
            _end_process(self.proc, grace)
            return self.proc.returncode
        return None

    def kill(self):
        if self.proc is not None:
            _kill_process(self.proc)

    def log_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=30.0):
        """Waits until the log matches pattern (a regex); the match or None."""
        found = []
        wait_for(lambda: found.append(re.search(pattern, self.log_text())) or found[-1],
                 timeout)
        return found[-1]


def code_of(fixture, msg):
    """The code a delivered mail carries (from its link), noted as a secret."""
    body = msg.get_body(preferencelist=("plain",)).get_content()
    m = CODE_RE.search(body)
    if not m:
        raise AssertionError("no #code= link in the mail: %r" % body[:300])
    fixture.note_secret(m.group(1))
    return m.group(1)


def queue_rows(fixture, where="1=1"):
    """mail_queue rows as dicts (id, state, attempts, user_id, smtp_status,
    email, client_key)."""
    rows = fixture.db.sql("SELECT id, state, attempts, COALESCE(user_id, ''), "
                          "COALESCE(smtp_status, ''), COALESCE(email, ''), client_key, "
                          "COALESCE(code_id, '') FROM mail_queue WHERE %s ORDER BY id" % where)
    keys = ("id", "state", "attempts", "user_id", "smtp_status", "email", "client_key",
            "code_id")
    return [dict(zip(keys, r)) for r in rows]


def make_due(fixture):
    """Every queued row due now (skips the backoff waits)."""
    fixture.db.sql("UPDATE mail_queue SET due_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                   "WHERE state = 'queued' AND lease_token IS NULL")
