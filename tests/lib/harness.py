"""harness.py: the integration-test harness for account-reset.

Standard library only (tests run as /usr/bin/python3).  It gives:

  * TAP: one object per test file; every claim is one "ok"/"not ok" line,
    and an exception inside a claim fails that claim, not the file.
  * MariaDB: a private server in a temporary directory (its own datadir and
    Unix socket, no TCP), with the schema loaded; stop, kill, freeze, start
    again on the same datadir; sql() for reading and writing state.
  * Fixture: MariaDB + a MySQL option file + an account-reset config file,
    the admin CLI, and requests to the program as a CGI process or through
    a FastCGI responder (spawn-fcgi, or N children on one socket) driven by
    cgi-fcgi.  Every password, code and token that passes through is noted,
    so a test can show that no log holds one.
  * Contract checks shared by every front end (CGI, FastCGI, nginx, Apache):
    expect_token() and expect_error().

Everything started here is ended when the process exits (atexit, SIGINT,
SIGTERM, SIGHUP), and, should the harness itself be killed, by the kernel:
long-lived servers get PR_SET_PDEATHSIG.  Temporary directories are removed
unless AR_KEEP_TMP=1.

Environment: AR_BUILDDIR (binaries), AR_SRCDIR (conf/schema.sql); both
default to the source tree this file lives in.
"""

import atexit
import base64
import ctypes
import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = [
    "TAP", "ClaimFailed", "HarnessError", "expect", "expect_eq",
    "MariaDB", "Fixture", "FastCGIResponder", "Response",
    "expect_token", "expect_error", "parse_cgi_output", "sha256_hex",
    "verify_django_record", "find_leaks", "strong_password",
    "VIOLATION_ORDER", "TOKEN_RE", "AUTO", "run_parallel", "sql_quote",
    "http_request", "make_tempdir", "find_program", "on_exit", "run_record_dir",
    "time_scale", "scaled", "wait_for", "unknown_code", "reset_payload", "padded_body",
]

AUTO = object()  # "compute this value" (CONTENT_LENGTH)

VIOLATION_ORDER = ("too_short", "too_long", "too_few_character_classes",
                   "control_character", "repetitive", "common_password",
                   "contains_email")
TOKEN_RE = re.compile(r"\A[A-Za-z0-9_-]{43}\Z")
DJANGO_RE = re.compile(
    r"\Apbkdf2_sha256\$([0-9]+)\$([^$]+)\$([A-Za-z0-9+/]{43}=)\Z")

EXTRA_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
              "/sbin", "/bin")


class HarnessError(Exception):
    """The harness could not do its job (a server would not start, a
    binary is missing): not a verdict on the program."""


class ClaimFailed(AssertionError):
    """A claim does not hold; the message says why."""


# ------------------------------------------------------------------ cleanup

_cleanups = []
_cleanup_lock = threading.RLock()
_cleaned = False


def on_exit(fn):
    """Registers fn to run once at exit (last registered runs first)."""
    with _cleanup_lock:
        _cleanups.append(fn)
    return fn


def run_cleanups():
    """Runs every registered cleanup once; safe to call more than once."""
    global _cleaned
    with _cleanup_lock:
        if _cleaned:
            return
        _cleaned = True
        todo = list(reversed(_cleanups))
        del _cleanups[:]
    for fn in todo:
        try:
            fn()
        except Exception:  # a cleanup must not stop the others
            traceback.print_exc(file=sys.stderr)


def _on_signal(signo, _frame):
    run_cleanups()
    signal.signal(signo, signal.SIG_DFL)
    os.kill(os.getpid(), signo)


atexit.register(run_cleanups)
if threading.current_thread() is threading.main_thread():
    for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(_sig, _on_signal)

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):  # not Linux: no parent-death signal
    _prctl = None


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the harness dies, even by
    SIGKILL.  Only for processes started from the main thread (the signal
    follows the thread that forked)."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def _preexec_for_server():
    if threading.current_thread() is threading.main_thread():
        return _die_with_parent
    return None


def make_tempdir(prefix="ar-it-"):
    """A private (0700) temporary directory, removed at exit unless
    AR_KEEP_TMP=1.  Short enough for Unix socket paths."""
    d = tempfile.mkdtemp(prefix=prefix)
    if len(d) > 60:  # sun_path holds 108 bytes; leave room for names
        os.rmdir(d)
        d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")

    def remove():
        record_log_files(d)  # everything in d has stopped by now
        if os.environ.get("AR_KEEP_TMP") == "1":
            sys.stderr.write("harness: kept %s\n" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    on_exit(remove)
    return d


# ------------------------------------------------------------------ run record
#
# What the last test of a run (tests/integration/test_no_secret_in_logs.py)
# needs to search every log of the run for every secret of the run: each
# test process leaves, at exit, in RUN_RECORD/<script>-<pid>/, the secrets
# its fixtures noted (secrets-N.jsonl, one JSON string a line), the logs it
# held in memory (CGI, admin CLI and FastCGI stderr streams), and a copy of
# every log file of its temporary directories (files/), taken just before
# they are removed.  RUN_RECORD is $AR_RUN_RECORD, else
# $AR_BUILDDIR/tests/run-record; AR_RUN_RECORD set empty turns it off.

LOG_FILE_RE = re.compile(r"\.(log|stderr)\Z")
_record_lock = threading.Lock()
_record_serial = [0]


def run_record_dir():
    """The run record's directory, or None when there is none."""
    d = os.environ.get("AR_RUN_RECORD")
    if d is None and os.environ.get("AR_BUILDDIR"):
        d = os.path.join(os.environ["AR_BUILDDIR"], "tests", "run-record")
    return os.path.abspath(d) if d else None


def _record_here(*sub):
    """This process's directory in the run record (made 0700), or None."""
    base = run_record_dir()
    if base is None:
        return None
    script = os.path.splitext(os.path.basename(sys.argv[0] or "python"))[0] or "python"
    d = os.path.join(base, "%s-%d" % (script, os.getpid()), *sub)
    os.makedirs(d, 0o700, exist_ok=True)
    return d


def record_name(stem, ext):
    """A name no other record of this process has: stem-N.ext."""
    with _record_lock:
        _record_serial[0] += 1
        return "%s-%d.%s" % (stem, _record_serial[0], ext)


def record_bytes(name, data):
    """Leaves data (bytes) as name in this process's record."""
    d = _record_here()
    if d is None or not data:
        return
    fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def record_log_files(top):
    """Copies every log file under top (a name ending in .log or .stderr)
    into this process's record, under files/<top's name>/<its path>."""
    dest = _record_here("files")
    if dest is None:
        return
    for root, _dirs, names in os.walk(top):
        for n in names:
            src = os.path.join(root, n)
            if not LOG_FILE_RE.search(n) or not os.path.isfile(src):
                continue
            rel = os.path.relpath(src, os.path.dirname(top))
            out = os.path.join(dest, rel)
            try:
                os.makedirs(os.path.dirname(out), 0o700, exist_ok=True)
                shutil.copyfile(src, out)
            except OSError as e:  # a log that cannot be copied is said so
                sys.stderr.write("harness: run record: %s: %s\n" % (src, e))


def find_program(name):
    """Path of an installed tool, looking in the sbin directories too
    (mariadbd lives in /usr/sbin, often not on a test's PATH)."""
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(EXTRA_PATH)
    found = shutil.which(name, path=path)
    if not found:
        raise HarnessError("%s not found (PATH and %s)" % (name, ", ".join(EXTRA_PATH)))
    return found


def _signal_process(proc, signo):
    try:
        if proc.poll() is None:
            proc.send_signal(signo)
    except ProcessLookupError:
        pass


def _end_process(proc, grace=5.0):
    """SIGTERM, then SIGKILL after grace seconds; reaps it."""
    if proc.poll() is not None:
        return
    _signal_process(proc, signal.SIGCONT)
    _signal_process(proc, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        _signal_process(proc, signal.SIGKILL)
        proc.wait()


def _kill_process(proc):
    if proc.poll() is None:
        _signal_process(proc, signal.SIGKILL)
        proc.wait()


# ------------------------------------------------------------------ TAP


class _Claim:
    """One claim: a context manager (or decorator, which runs the function
    at once) that prints ok when its body finishes, and not ok with
    diagnostics when it raises."""

    def __init__(self, tap, desc):
        self.tap = tap
        self.desc = desc
        self.notes = []
        self.passed = None

    def note(self, text):
        """Adds a diagnostic line, printed only if the claim fails."""
        self.notes.append(str(text))

    def check(self, cond, msg="condition is false"):
        expect(cond, msg)

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        if etype is None:
            self.passed = self.tap.ok(True, self.desc)
            return False
        if issubclass(etype, (KeyboardInterrupt, SystemExit)):
            return False
        if issubclass(etype, ClaimFailed):
            why = str(exc)
        else:
            why = "".join(traceback.format_exception(etype, exc, tb)).rstrip()
        self.passed = self.tap.ok(False, self.desc, "\n".join([why] + self.notes))
        return True

    def __call__(self, fn):
        with self:
            fn()
        return fn


class TAP:
    """Test Anything Protocol output for automake's tap-driver.

    ok(cond, desc, diag) records one claim; claim(desc) wraps a block (or,
    as a decorator, a function run at once) so that an exception makes
    that claim "not ok"; done() prints the plan and returns the exit
    status (0 unless the harness broke: failed claims are counted by the
    driver from the "not ok" lines)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.count = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def _print(self, text):
        self.stream.write(text + "\n")
        self.stream.flush()

    def ok(self, cond, desc, diag=None):
        desc = " ".join(str(desc).split()).replace("#", "\\#")
        with self.lock:
            self.count += 1
            if not cond:
                self.failed += 1
            self._print("%s %d - %s" % ("ok" if cond else "not ok", self.count, desc))
            if not cond and diag:
                self.diag(diag)
        return bool(cond)

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            self._print("# " + line)

    def claim(self, desc):
        return _Claim(self, desc)

    def skip(self, desc, reason):
        """A claim that this build cannot judge (TAP's SKIP directive)."""
        desc = " ".join(str(desc).split()).replace("#", "\\#")
        with self.lock:
            self.count += 1
            self._print("ok %d - %s # SKIP %s" % (self.count, desc, reason))

    def bail(self, reason):
        """The harness itself broke: stop the file with a nonzero exit."""
        self._print("Bail out! " + " ".join(str(reason).split()))
        run_cleanups()
        sys.exit(2)

    def done(self):
        elapsed = time.monotonic() - self.started
        self.diag("%d passed, %d failed (%.1f s)"
                  % (self.count - self.failed, self.failed, elapsed))
        self._print("1..%d" % self.count)
        return 0

    def setup(self, fn, *args, **kwargs):
        """Runs a setup step; any failure bails out (exit 2) with its
        message, since no claim can be judged without it."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            self.diag(traceback.format_exc())
            self.bail("setup failed: %s" % e)


# ------------------------------------------------------------ time bounds

def time_scale():
    """How much slower this build runs than a plain one on an idle machine:
    AR_TIME_SCALE when set (scripts/check-valgrind and check-sanitizers set
    it), else 1.  Every bound on time in a test is a configured timeout
    plus a margin, and the margin is multiplied by this."""
    try:
        return max(1.0, float(os.environ.get("AR_TIME_SCALE", "1")))
    except ValueError:
        return 1.0


def scaled(seconds):
    """A margin of seconds, scaled for the build (see time_scale)."""
    return seconds * time_scale()


def wait_for(cond, timeout=10.0, step=0.05):
    """Polls cond until it is true or scaled(timeout) seconds have passed;
    returns its last value."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


# ------------------------------------------------------------ request bodies

def unknown_code():
    """A code that looks like a real one but was never issued."""
    return secrets.token_urlsafe(24)


def reset_payload(code, password="Valid-Passw0rd"):
    """The reset endpoint's JSON body, as a dict."""
    return {"validation_code": code, "password": password}


def padded_body(code, password, size):
    """A reset body of exactly size bytes (an ignored member pads it)."""
    base = json.dumps({"validation_code": code, "password": password, "pad": ""})
    fill = size - len(base.encode())
    if fill < 0:
        raise HarnessError("padded_body: %d bytes is less than the body itself" % size)
    return json.dumps({"validation_code": code, "password": password,
                       "pad": "x" * fill}).encode()


def expect(cond, msg="condition is false"):
    if not cond:
        raise ClaimFailed(msg)


def expect_eq(got, want, what="value"):
    if got != want:
        raise ClaimFailed("%s: got %r, want %r" % (what, got, want))


# ------------------------------------------------------------------ MariaDB


class MariaDBProcess:
    """What a mariadbd child of the tests offers, whether a lone server
    (MariaDB) or a cluster node (galera.Node): its life as a process and
    SQL through the mariadb client.  Needs self.proc, self.frozen,
    self.error_log, self._client_cmd(database) and self.sql(query)."""

    default_database = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.running() else None

    def kill(self):
        """SIGKILL: the server dies at once, as in a crash or a power cut."""
        if self.proc is not None:
            if self.frozen:
                self.proc.send_signal(signal.SIGCONT)
            _kill_process(self.proc)
        self.frozen = False

    def freeze(self):
        """SIGSTOP: the server holds its socket but answers nothing."""
        if self.running():
            self.proc.send_signal(signal.SIGSTOP)
            self.frozen = True

    def thaw(self):
        if self.running() and self.frozen:
            self.proc.send_signal(signal.SIGCONT)
        self.frozen = False

    def error_log_tail(self, lines=40):
        try:
            with open(self.error_log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            return "(no error log: %s)" % e
        return "\n".join(text.splitlines()[-lines:])

    def try_sql(self, query, database=AUTO, timeout=30.0):
        """Runs one or more statements: (the rows of the last result as
        lists of str, NULL as None; None), or (None, what went wrong)."""
        db = self.default_database if database is AUTO else database
        try:
            r = subprocess.run(self._client_cmd(db) + ["-e", query],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "timed out after %.0f s" % timeout
        if r.returncode != 0:
            return None, "(%d) %s" % (r.returncode,
                                      r.stderr.decode("utf-8", "replace").strip())
        return [[_unescape_batch(v) for v in line.split("\t")]
                for line in r.stdout.decode("utf-8").split("\n") if line != ""], None

    def sql_value(self, query):
        """The first column of the first row, or None when there is none."""
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def terminate(self, timeout=60.0):
        """SIGTERM, then waits; True when the process ended by itself,
        False when it had to be killed after timeout seconds."""
        if not self.running():
            return True
        self.thaw()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return False
        return True

    def sql_script(self, text, database=AUTO, timeout=120.0):
        """Feeds a script (bytes or str) to the client on stdin."""
        db = self.default_database if database is AUTO else database
        if isinstance(text, str):
            text = text.encode("utf-8")
        r = subprocess.run(self._client_cmd(db), input=text,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if r.returncode != 0:
            raise HarnessError("SQL script on %s failed (%d): %s" % (
                self.error_log, r.returncode, r.stderr.decode("utf-8", "replace")))


class MariaDB(MariaDBProcess):
    """A private MariaDB server: datadir, Unix socket and error log in a
    temporary directory, no networking.  setup() installs the system
    tables, starts the server, creates the database and loads the schema.
    """

    def __init__(self, basedir=None, database="account_reset", schema=None,
                 start_timeout=60.0):
        self.basedir = basedir or make_tempdir("ar-db-")
        self.datadir = os.path.join(self.basedir, "data")
        self.socket = os.path.join(self.basedir, "mysql.sock")
        self.pid_file = os.path.join(self.basedir, "mysqld.pid")
        self.error_log = os.path.join(self.basedir, "error.log")
        self.tmpdir = os.path.join(self.basedir, "tmp")
        self.database = database
        self.schema = schema
        self.start_timeout = start_timeout
        self.proc = None
        self.frozen = False
        self.mariadbd = find_program("mariadbd")
        self.install_db = find_program("mariadb-install-db")
        self.client = find_program("mariadb")
        self.admin = find_program("mariadb-admin")
        on_exit(self._cleanup)

    def _root_args(self):
        return ["--user=root"] if os.geteuid() == 0 else []

    def _server_options(self):
        # A private tmpdir: servers bootstrapping side by side (make -j)
        # must not share /tmp for their temporary tables.
        return ["--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
                "--tmpdir=" + self.tmpdir]

    def setup(self):
        """Installs, starts, creates the database and loads the schema."""
        os.makedirs(self.tmpdir, 0o700, exist_ok=True)
        cmd = [self.install_db, "--no-defaults", "--datadir=" + self.datadir,
               "--auth-root-authentication-method=normal", "--skip-test-db"]
        cmd += self._root_args() + self._server_options()
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise HarnessError("mariadb-install-db failed (%d):\n%s"
                               % (r.returncode, r.stdout.decode(errors="replace")))
        self.start()
        self.sql("CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
                 "COLLATE utf8mb4_unicode_ci" % self.database, database=None)
        if self.schema:
            with open(self.schema, "rb") as f:
                self.sql_script(f.read())
        return self

    def start(self):
        """Starts the server on the same datadir and socket; returns when it
        answers a ping (HarnessError with the error log after the timeout)."""
        if self.running():
            raise HarnessError("MariaDB is already running")
        cmd = [self.mariadbd, "--no-defaults", "--datadir=" + self.datadir,
               "--socket=" + self.socket, "--skip-networking",
               "--pid-file=" + self.pid_file, "--log-error=" + self.error_log]
        cmd += self._server_options() + self._root_args()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     preexec_fn=_preexec_for_server())
        self.frozen = False
        deadline = time.monotonic() + scaled(self.start_timeout)
        while True:
            if self.proc.poll() is not None:
                raise HarnessError("mariadbd exited with %d at start:\n%s"
                                   % (self.proc.returncode, self.error_log_tail()))
            if self.ping():
                return self
            if time.monotonic() > deadline:
                self.kill()
                raise HarnessError("mariadbd did not answer within %.0f s:\n%s"
                                   % (self.start_timeout, self.error_log_tail()))
            time.sleep(0.05)

    def ping(self):
        r = subprocess.run([self.admin, "--no-defaults", "-S", self.socket,
                            "-uroot", "--connect-timeout=2", "ping"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def stop(self, timeout=60.0):
        """Graceful shutdown (SIGTERM), waiting until the process is gone."""
        if not self.terminate(timeout):
            raise HarnessError("mariadbd did not stop within %.0f s" % timeout)

    def _cleanup(self):
        if self.proc is not None:
            _kill_process(self.proc)

    def hold_lock(self, statement, database=AUTO, timeout=10.0):
        """Opens a client session that runs BEGIN and statement (say a
        SELECT ... FOR UPDATE) and keeps its transaction, and so its
        locks, open until the returned process is killed."""
        import select
        db = self.database if database is AUTO else database
        proc = subprocess.Popen(self._client_cmd(db) + ["--unbuffered"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        on_exit(lambda: _kill_process(proc))
        proc.stdin.write(("BEGIN; %s; SELECT 'ar-lock-held';\n" % statement).encode("utf-8"))
        proc.stdin.flush()
        seen = b""
        deadline = time.monotonic() + scaled(timeout)
        while b"ar-lock-held" not in seen:
            left = deadline - time.monotonic()
            ready = select.select([proc.stdout], [], [], max(0.0, left))[0] if left > 0 else []
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                _kill_process(proc)
                raise HarnessError("the lock holder did not take its lock: %r" % seen[-300:])
            seen += chunk
        return proc

    def wait_for_lock_wait(self, timeout=5.0):
        """True once some transaction waits for a lock (within timeout).
        Polls INNODB_TRX every 0.3 s: InnoDB refreshes that table only
        when it has not been read for 0.1 s."""
        def waiting():
            time.sleep(0.3)
            return int(self.sql_value("SELECT COUNT(*) FROM information_schema.INNODB_TRX "
                                      "WHERE trx_state = 'LOCK WAIT'") or 0) > 0
        return wait_for(waiting, timeout, step=0)

    @property
    def default_database(self):
        return self.database

    def _client_cmd(self, database):
        cmd = [self.client, "--no-defaults", "-S", self.socket, "-uroot",
               "--default-character-set=utf8mb4", "-N", "-B"]
        if database:
            cmd.append("--database=" + database)
        return cmd

    def sql(self, query, database=AUTO, timeout=60.0):
        """Runs one or more statements; returns the rows of the last result
        as lists of str (NULL as None).  Raises HarnessError on failure."""
        rows, err = self.try_sql(query, database, timeout)
        if rows is None:
            raise HarnessError("SQL failed %s: %s" % (err, query))
        return rows


_BATCH_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "0": "\0"}


def _unescape_batch(value):
    if value == "NULL":
        return None
    if "\\" not in value:
        return value
    return re.sub(r"\\(.)", lambda m: _BATCH_ESCAPES.get(m.group(1), m.group(1)), value)


def sql_quote(value):
    """A SQL string literal (for values the tests make themselves)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# ------------------------------------------------------------------ responses


class Response(tuple):
    """(status, headers, body, json) plus attributes: header_list (every
    header line in order, names lower-cased), raw (the program's whole
    output), stderr, returncode, elapsed (seconds), json_duplicates (keys
    seen twice in one JSON object), via ("cgi", "fastcgi", "http")."""

    def __new__(cls, status, headers, body, data):
        return tuple.__new__(cls, (status, headers, body, data))

    status = property(lambda self: self[0])
    headers = property(lambda self: self[1])
    body = property(lambda self: self[2])
    json = property(lambda self: self[3])

    def header(self, name, default=None):
        return self[1].get(name.lower(), default)

    def summary(self, limit=600):
        """A few lines describing the answer, for diagnostics."""
        hdrs = ", ".join("%s: %s" % hv for hv in getattr(self, "header_list", []))
        body = self[2][:limit].decode("utf-8", "replace")
        err = getattr(self, "stderr", b"") or b""
        out = "status %r; headers [%s]; body %r" % (self[0], hdrs, body)
        if getattr(self, "returncode", 0):
            out += "; exit status %r" % self.returncode
        if err:
            out += "; stderr %r" % err[:limit].decode("utf-8", "replace")
        return out

    def __repr__(self):
        return "<Response %s>" % self.summary(200)


def _json_or_none(body):
    dups = []

    def pairs(items):
        seen = {}
        for k, v in items:
            if k in seen:
                dups.append(k)
            seen[k] = v
        return seen
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=pairs), dups
    except (ValueError, UnicodeDecodeError):
        return None, dups


def parse_cgi_output(raw):
    """Parses CGI response output: header lines, an empty line (CRLF or
    LF), the body.  Status comes from "Status:" (200 when absent, 302 with
    only a Location).  Returns a Response; raises ValueError when the
    output has no header block."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n")
    cands = [(crlf, 4), (lf, 2)]
    cands = [c for c in cands if c[0] >= 0]
    if not cands:
        raise ValueError("no end of headers in CGI output: %r" % raw[:300])
    pos, sep = min(cands)
    head, body = raw[:pos], raw[pos + sep:]
    header_list = []
    for line in re.split(rb"\r?\n", head):
        if not line:
            continue
        if b":" not in line:
            raise ValueError("malformed CGI header line %r" % line)
        name, value = line.split(b":", 1)
        header_list.append((name.decode("latin-1").strip().lower(),
                            value.decode("latin-1").strip()))
    headers = {}
    for name, value in header_list:
        headers[name] = value
    status = 200
    if "status" in headers:
        m = re.match(r"\s*([0-9]{3})\b", headers["status"])
        if not m:
            raise ValueError("malformed Status header %r" % headers["status"])
        status = int(m.group(1))
    elif "location" in headers:
        status = 302
    data, dups = _json_or_none(body)
    resp = Response(status, headers, body, data)
    resp.header_list = header_list
    resp.raw = raw
    resp.json_duplicates = dups
    return resp


def http_request(host, port, method, path, body=b"", headers=None, timeout=30.0):
    """A plain HTTP/1.1 request (for web-server end-to-end tests); returns
    a Response with via="http"."""
    import http.client
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        header_list = [(k.lower(), v) for k, v in r.getheaders()]
    finally:
        conn.close()
    parsed, dups = _json_or_none(data)
    resp = Response(r.status, {k: v for k, v in header_list}, data, parsed)
    resp.header_list = header_list
    resp.raw = data
    resp.json_duplicates = dups
    resp.elapsed = time.monotonic() - start
    resp.via = "http"
    return resp


# ------------------------------------------------------------------ secrets


def sha256_hex(text):
    if isinstance(text, str):
        text = text.encode("utf-8")
    return hashlib.sha256(text).hexdigest()


def verify_django_record(record, password):
    """True when a Django pbkdf2_sha256 record matches password, computed
    independently with hashlib.pbkdf2_hmac."""
    m = DJANGO_RE.match(record or "")
    if not m:
        return False
    iterations, salt, b64 = int(m.group(1)), m.group(2), m.group(3)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                             salt.encode("utf-8"), iterations)
    return hmac.compare_digest(base64.b64encode(dk).decode("ascii"), b64)


def strong_password(prefix="Pw"):
    """A fresh password that meets every rule (four classes, 20 chars)."""
    return "%s-%s9a!" % (prefix, secrets.token_hex(6).upper())


def _secret_forms(s):
    forms = {s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1]}
    return {f.encode("utf-8") for f in forms if f}


def find_leaks(text, secret_values):
    """The secrets (str) whose text appears in text (bytes or str), raw
    or JSON-escaped."""
    if isinstance(text, str):
        text = text.encode("utf-8", "replace")
    return sorted(s for s in secret_values
                  if any(f in text for f in _secret_forms(s)))


# ------------------------------------------------------------------ contract


CACHE_HEADERS = (("cache-control", "no-store"), ("pragma", "no-cache"))


def _media_type(value):
    return (value or "").split(";", 1)[0].strip().lower()


def expect_json_headers(resp):
    expect(_media_type(resp.header("content-type")) == "application/json",
           "Content-Type is %r, want application/json; %s"
           % (resp.header("content-type"), resp.summary()))
    for name, want in CACHE_HEADERS:
        got = resp.header(name)
        expect(got is not None and got.strip().lower() == want,
               "%s is %r, want %r; %s" % (name, got, want, resp.summary()))


def expect_token(resp, client_id, scope, expires_in):
    """The 200 answer of the spec, exactly; returns the token object."""
    expect(resp.status == 200, "status %r, want 200; %s" % (resp.status, resp.summary()))
    expect_json_headers(resp)
    d = resp.json
    expect(isinstance(d, dict), "body is not a JSON object: %s" % resp.summary())
    expect(not resp.json_duplicates, "duplicate keys %r" % resp.json_duplicates)
    expect_eq(sorted(d), ["token"], "top-level keys")
    t = d["token"]
    expect(isinstance(t, dict), "token is not an object: %r" % (t,))
    expect_eq(sorted(t), sorted(["access_token", "expires_in", "token_type",
                                 "refresh_token", "client_id", "scope"]),
              "token keys")
    expect(type(t["expires_in"]) is int,
           "expires_in is %r (%s), want a JSON integer"
           % (t["expires_in"], type(t["expires_in"]).__name__))
    expect_eq(t["expires_in"], expires_in, "expires_in")
    expect_eq(t["token_type"], "Bearer", "token_type")
    for k in ("access_token", "refresh_token"):
        expect(isinstance(t[k], str) and TOKEN_RE.match(t[k]),
               "%s %r is not 43 base64url characters" % (k, t[k]))
    expect(t["access_token"] != t["refresh_token"], "access and refresh tokens are equal")
    expect_eq(t["client_id"], client_id, "client_id")
    expect_eq(t["scope"], scope, "scope")
    return t


def expect_error(resp, status, code, violations=None):
    """A JSON error answer {"error", "error_description"} (+ "violations"
    for invalid_password) with the cache headers; Allow: POST on 405 and
    Retry-After on 503.  violations, when given, is the exact list."""
    expect(resp.status == status and isinstance(resp.json, dict)
           and resp.json.get("error") == code,
           "want %d %s; got %s" % (status, code, resp.summary()))
    expect_json_headers(resp)
    d = resp.json
    expect(not resp.json_duplicates, "duplicate keys %r" % resp.json_duplicates)
    want_keys = {"error", "error_description"}
    if code == "invalid_password":
        want_keys.add("violations")
    expect_eq(set(d), want_keys, "keys of the error object")
    expect(isinstance(d["error_description"], str) and d["error_description"].strip(),
           "error_description is %r, want a non-empty string" % (d["error_description"],))
    if code == "invalid_password":
        v = d["violations"]
        expect(isinstance(v, list) and all(isinstance(x, str) for x in v) and v,
               "violations is %r, want a non-empty list of names" % (v,))
        expect(all(x in VIOLATION_ORDER for x in v), "unknown violation in %r" % (v,))
        expect_eq(v, sorted(set(v), key=VIOLATION_ORDER.index),
                  "violations, in the documented order without repeats")
        if violations is not None:
            expect_eq(v, list(violations), "violations")
    if status == 405:
        allow = resp.header("allow")
        expect(allow is not None and [m.strip() for m in allow.split(",")] == ["POST"],
               "Allow is %r, want POST" % (allow,))
    if status == 503:
        ra = resp.header("retry-after")
        expect(ra is not None and re.match(r"\A[0-9]+\Z", ra.strip()),
               "Retry-After is %r, want a number of seconds" % (ra,))
    return d


# ------------------------------------------------------------------ fixture


def _source_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


DEFAULT_SETTINGS = {
    "pbkdf2_iterations": 1000,
    "pbkdf2_engine": "fast",
    "access_token_lifetime": 3600,
    "refresh_token_lifetime": 1209600,
    "client_id": "it-client",
    "scope": "read write",
    "code_lifetime": 3600,
    "max_body_bytes": 8192,
    "retry_after": 5,
    "mysql_option_group": "account-reset",
    "db_connect_timeout": 2,
    "db_read_timeout": 5,
    "db_write_timeout": 5,
    "db_retries": 3,
    # The tests send many unknown codes from 127.0.0.1: count them (so the
    # counting runs everywhere) but never reach the limit, except in the
    # tests of the limit itself, which set their own.
    "attempt_limit": 1000000,
    # Every failure written at once, so that a test can read the count
    # from the database after any request (test_limits.py tests batching).
    "attempt_batch": 1,
}

BASE_CGI_ENV = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_SOFTWARE": "account-reset-harness/1",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "REQUEST_SCHEME": "http",
    "REQUEST_URI": "/api/v2/account/reset/",
    "SCRIPT_NAME": "/api/v2/account/reset/",
    "DOCUMENT_URI": "/api/v2/account/reset/",
    "QUERY_STRING": "",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "40000",
    "HTTP_HOST": "localhost",
    "HTTP_ACCEPT": "application/json",
}


class Fixture:
    """MariaDB with the schema, an option file, a config file, the admin
    CLI and the two ways of sending a request.

      f = Fixture(iterations=1000).setup()
      email, pw = f.create_user()
      code = f.issue_code(email)
      r = f.cgi({"validation_code": code, "password": strong_password()})

    settings overrides DEFAULT_SETTINGS (a value of None leaves the key out
    of the file, so the program's default applies)."""

    def __init__(self, iterations=1000, engine="fast", **settings):
        self.builddir = os.path.abspath(os.environ.get("AR_BUILDDIR") or _source_root())
        self.srcdir = os.path.abspath(os.environ.get("AR_SRCDIR") or _source_root())
        self.responder = os.path.join(self.builddir, "account-reset")
        self.admin_program = os.path.join(self.builddir, "account-reset-admin")
        self.cgi_program = os.path.join(self.builddir, "cgi-bin", "account-reset.cgi")
        self.schema = os.path.join(self.srcdir, "conf", "schema.sql")
        self.base = make_tempdir()
        self.etc = os.path.join(self.base, "etc")
        os.mkdir(self.etc, 0o700)
        self.db = None
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings.update(pbkdf2_iterations=iterations, pbkdf2_engine=engine)
        self.settings.update(settings)
        if _wrapper("AR_RESPONDER_WRAPPER") and "seccomp" not in settings:
            # valgrind does not implement seccomp(2): under it the filter
            # cannot be installed, and a worker refuses to serve without it.
            self.settings["seccomp"] = "off"
        self.option_file = os.path.join(self.etc, "my.cnf")
        if "mysql_option_file" not in settings:
            self.settings["mysql_option_file"] = self.option_file
        self.config_path = os.path.join(self.etc, "account-reset.conf")
        self.secrets = set()
        self.cgi_stderr = []  # stderr of every CGI run, in order
        self.admin_stderr = []
        self._lock = threading.Lock()
        self._serial = 0
        on_exit(self.record_run)

    # -- setup

    def check_binaries(self, *paths):
        paths = paths or (self.responder, self.admin_program, self.cgi_program)
        missing = [p for p in paths if not os.access(p, os.X_OK)]
        if missing:
            raise HarnessError("not built: %s (run ./configure && make)" % ", ".join(missing))

    def setup(self, need=None):
        """Checks the binaries (need: paths, default all three), starts
        MariaDB with the schema, writes the option and config files."""
        self.check_binaries(*(need or ()))
        if not os.path.exists(self.schema):
            raise HarnessError("no schema at %s" % self.schema)
        self.db = MariaDB(basedir=os.path.join(self.base, "db"), schema=self.schema)
        os.mkdir(self.db.basedir, 0o700)
        self.db.setup()
        self.write_option_file()
        self.write_config()
        return self

    def write_option_file(self, path=None, socket_path=None, database="account_reset",
                          **extra):
        """Writes a MySQL option file (mode 0600) with group
        [account-reset]: the fixture's socket, user root, the database."""
        path = path or self.option_file
        lines = ["[account-reset]", "socket=" + (socket_path or self.db.socket),
                 "user=root", "database=" + database, "default-character-set=utf8mb4"]
        lines += ["%s=%s" % (k.replace("_", "-"), v) for k, v in extra.items()]
        _write_private(path, "\n".join(lines) + "\n")
        return path

    def write_config(self, name=None, **overrides):
        """Writes a config file (the main one, or etc/<name> with the
        overrides on top of this fixture's settings) and returns its path."""
        values = dict(self.settings)
        values.update(overrides)
        path = self.config_path if name is None else os.path.join(self.etc, name)
        lines = ["# written by tests/lib/harness.py"]
        for k, v in values.items():
            if v is not None:
                lines.append("%s = %s" % (k, v))
        _write_private(path, "\n".join(lines) + "\n")
        return path

    # -- secrets and logs

    def note_secret(self, value):
        """Remembers a password, code or token that no log may contain
        (values shorter than 8 characters, or made only of lower-case
        letters and '_' like "password", are too common to search for)."""
        if (isinstance(value, str) and len(value) >= 8
                and not re.match(r"\A[a-z_]*\Z", value)):
            with self._lock:
                self.secrets.add(value)

    def record_run(self):
        """Leaves this fixture's secrets and in-memory logs in the run
        record (see run_record_dir)."""
        with self._lock:
            secrets_text = "".join(json.dumps(s) + "\n" for s in sorted(self.secrets))
            cgi, admin = b"".join(self.cgi_stderr), "".join(self.admin_stderr)
        record_bytes(record_name("secrets", "jsonl"), secrets_text.encode("utf-8"))
        record_bytes(record_name("cgi", "stderr"), cgi)
        record_bytes(record_name("admin", "stderr"), admin.encode("utf-8"))

    def leaks(self, text):
        """The noted secrets that appear in text."""
        return find_leaks(text, self.secrets)

    def leak_report(self, text, limit=3):
        """A diagnostic for leaks: each leaked value (test data) and the
        line it appears in."""
        if isinstance(text, str):
            text = text.encode("utf-8", "replace")
        out = []
        for s in self.leaks(text)[:limit]:
            lines = [l for l in text.splitlines()
                     if any(f in l for f in _secret_forms(s))]
            out.append("%r in: %r" % (s[:80], lines[0][:300] if lines else b""))
        return "\n".join(out)

    def cgi_log(self):
        with self._lock:
            return b"".join(self.cgi_stderr)

    # -- admin CLI

    def admin(self, *args, input=None, config=None, env=None, timeout=60.0):
        """Runs account-reset-admin --config PATH ARGS (config=False: no
        --config option); returns the CompletedProcess (stdout and stderr
        as str).  env adds variables to the minimal environment."""
        cmd = [self.admin_program]
        if config is not False:
            cmd += ["--config", config or self.config_path]
        cmd += list(args)
        full = _base_env()
        full.update(env or {})
        r = subprocess.run(cmd, input=(input or "").encode("utf-8"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=full, timeout=timeout)
        r.stdout = r.stdout.decode("utf-8", "replace")
        r.stderr = r.stderr.decode("utf-8", "replace")
        with self._lock:
            self.admin_stderr.append(r.stderr)
        return r

    def new_email(self, tag="user"):
        with self._lock:
            self._serial += 1
            n = self._serial
        return "%s%d-%s@example.test" % (tag, n, secrets.token_hex(3))

    def create_user(self, email=None, password=None):
        """A user with a known password; returns (email, password)."""
        email = email or self.new_email()
        password = password or strong_password("Old")
        self.note_secret(password)
        r = self.admin("create-user", email, input=password + "\n")
        if r.returncode != 0:
            raise HarnessError("create-user %s failed (%d): %s"
                               % (email, r.returncode, r.stderr.strip()))
        return email, password

    def issue_code(self, email, ttl=None):
        """A fresh validation code for email (admin issue-code)."""
        args = ["issue-code", email] + (["--ttl", str(ttl)] if ttl is not None else [])
        r = self.admin(*args)
        code = r.stdout.strip()
        if r.returncode != 0 or not code or "\n" in code:
            raise HarnessError("issue-code %s failed (%d): stdout %r stderr %r"
                               % (email, r.returncode, r.stdout, r.stderr.strip()))
        self.note_secret(code)
        return code

    def cgi_reset_killed_midway(self, code, password, holder, timeout=120.0):
        """A CGI reset with code and password that waits inside its
        transaction for the lock holder (a session of db.hold_lock) holds,
        while MariaDB is killed; then the holder ends and MariaDB starts
        again.  Returns (whether the reset was seen waiting, its Response
        or None)."""
        res = {}

        def send():
            res["r"] = self.cgi({"validation_code": code, "password": password},
                                timeout=timeout)
        th = threading.Thread(target=send)
        th.start()
        waited = self.db.wait_for_lock_wait(scaled(10))
        self.db.kill()
        th.join(scaled(timeout))
        holder.kill()
        self.db.start()
        return waited, res.get("r")

    def check_password(self, email, password):
        """Exit status of admin check-password: 0 match, 1 no match."""
        return self.admin("check-password", email, input=password + "\n").returncode

    def user_and_code(self):
        """A new user and a valid code: (email, old_password, code)."""
        email, pw = self.create_user()
        return email, pw, self.issue_code(email)

    # -- database state

    def user_id(self, email):
        return self.db.sql_value("SELECT id FROM users WHERE email = %s" % sql_quote(email))

    def password_record(self, email):
        return self.db.sql_value("SELECT password FROM users WHERE email = %s" % sql_quote(email))

    def code_row(self, code):
        """The reset_codes row of a code, by the SHA-256 of its text, as a
        dict (None when there is none)."""
        rows = self.db.sql(
            "SELECT id, user_id, used_at, expires_at, "
            "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) "
            "FROM reset_codes WHERE code_sha256 = '%s'" % sha256_hex(code))
        if not rows:
            return None
        r = rows[0]
        return {"id": r[0], "user_id": r[1], "used_at": r[2], "expires_at": r[3],
                "seconds_left": int(r[4])}

    def code_used_at(self, code):
        row = self.code_row(code)
        if row is None:
            raise HarnessError("no reset_codes row for that code")
        return row["used_at"]

    def expire_code(self, code):
        self.db.sql("UPDATE reset_codes SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                    "WHERE code_sha256 = '%s'" % sha256_hex(code))

    def token_row(self, access_token):
        """The tokens row whose access_sha256 is the digest of
        access_token, as a dict (None when there is none)."""
        rows = self.db.sql(
            "SELECT id, user_id, refresh_sha256, client_id, scope, revoked_at, "
            "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), access_expires_at), "
            "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), refresh_expires_at) "
            "FROM tokens WHERE access_sha256 = '%s'" % sha256_hex(access_token))
        if not rows:
            return None
        r = rows[0]
        return {"id": r[0], "user_id": r[1], "refresh_sha256": r[2], "client_id": r[3],
                "scope": r[4], "revoked_at": r[5], "access_seconds_left": int(r[6]),
                "refresh_seconds_left": int(r[7])}

    def insert_token(self, email):
        """Stores a live token pair for the user (as a login would);
        returns the row id."""
        uid = self.user_id(email)
        a, r = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.db.sql(
            "INSERT INTO tokens (user_id, access_sha256, refresh_sha256, client_id, "
            "scope, created_at, access_expires_at, refresh_expires_at) VALUES "
            "(%s, '%s', '%s', 'old-client', 'read', UTC_TIMESTAMP(6), "
            "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6) + INTERVAL 1 DAY)"
            % (uid, sha256_hex(a), sha256_hex(r)))
        return self.db.sql_value("SELECT id FROM tokens WHERE access_sha256 = '%s'"
                                 % sha256_hex(a))

    def token_revoked_at(self, token_id):
        return self.db.sql_value("SELECT revoked_at FROM tokens WHERE id = %s" % int(token_id))

    def open_tokens(self, email):
        return int(self.db.sql_value(
            "SELECT COUNT(*) FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE u.email = %s AND t.revoked_at IS NULL" % sql_quote(email)))

    def table_dump(self):
        """Every row of the three tables as text (to show no secret is
        stored in clear)."""
        parts = []
        for table in ("users", "reset_codes", "tokens"):
            parts += ["\t".join("" if v is None else v for v in row)
                      for row in self.db.sql("SELECT * FROM " + table)]
        return "\n".join(parts)

    # -- requests

    def request_env(self, method="POST", body=b"", content_type="application/json",
                    content_length=AUTO, env=None):
        """The CGI meta-variables of one request.  env overrides or (with
        None as the value) removes any variable."""
        e = dict(BASE_CGI_ENV)
        e["REQUEST_METHOD"] = method
        if content_type is not None:
            e["CONTENT_TYPE"] = content_type
        if content_length is AUTO:
            if body or method in ("POST", "PUT", "PATCH"):
                e["CONTENT_LENGTH"] = str(len(body))
        elif content_length is not None:
            e["CONTENT_LENGTH"] = str(content_length)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def _body(self, payload, body):
        if body is not None:
            return body.encode("utf-8") if isinstance(body, str) else body
        if payload is None:
            return b""
        if isinstance(payload, dict):
            for k in ("password", "validation_code"):
                self.note_secret(payload.get(k))
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _note_answer(self, resp):
        d = resp.json
        if isinstance(d, dict) and isinstance(d.get("token"), dict):
            for k in ("access_token", "refresh_token"):
                self.note_secret(d["token"].get(k))

    def cgi(self, payload=None, body=None, method="POST", content_type="application/json",
            content_length=AUTO, env=None, program=None, config=None, timeout=60.0):
        """One request to a CGI process: program is the CGI binary
        (cgi-bin/account-reset.cgi) by default, or a path (account-reset
        runs as CGI too: its stdin is a pipe, not a socket).  payload is a
        dict sent as JSON; body (bytes/str) is sent as is instead."""
        data = self._body(payload, body)
        e = self.request_env(method, data, content_type, content_length, env)
        if "ACCOUNT_RESET_CONFIG" not in (env or {}):
            e["ACCOUNT_RESET_CONFIG"] = config or self.config_path
        prog = program or self.cgi_program
        e["SCRIPT_FILENAME"] = prog
        full = _base_env()
        full.update(e)
        start = time.monotonic()
        try:
            p = subprocess.run(_wrapper("AR_CGI_WRAPPER") + [prog], input=data,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=full, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            with self._lock:
                self.cgi_stderr.append(e.stderr or b"")
            raise ClaimFailed("no answer within %.0f s (the CGI process was killed); "
                              "stderr %r" % (timeout, (e.stderr or b"")[-500:]))
        elapsed = time.monotonic() - start
        with self._lock:
            self.cgi_stderr.append(p.stderr)
        try:
            resp = parse_cgi_output(p.stdout)
        except ValueError as err:
            raise ClaimFailed("%s (exit status %d, stderr %r)" % (
                err, p.returncode, p.stderr[:500].decode("utf-8", "replace")))
        resp.stderr = p.stderr
        resp.returncode = p.returncode
        resp.elapsed = elapsed
        resp.via = "cgi"
        self._note_answer(resp)
        return resp

    def fastcgi(self, children=1, mode=None, config=None, program=None, env=None,
                args=None):
        """Starts a FastCGI responder (see FastCGIResponder)."""
        return FastCGIResponder(self, children=children, mode=mode, config=config,
                                program=program, env=env, args=args).start()


# Passed on to every program started here, so that a sanitizer build
# (scripts/check-sanitizers) writes its reports where the script reads them.
SANITIZER_VARIABLES = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def _base_env():
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for k in SANITIZER_VARIABLES:
        if k in os.environ:
            e[k] = os.environ[k]
    return e


def _wrapper(name):
    """The command that runs a program under test (AR_RESPONDER_WRAPPER for
    the FastCGI responder, AR_CGI_WRAPPER for CGI processes), split as a
    shell would, e.g. "valgrind --error-exitcode=99" (scripts/check-valgrind);
    [] when unset.  The first word is made a full path: spawn-fcgi execs
    its command without searching PATH."""
    words = shlex.split(os.environ.get(name, ""))
    if words and os.sep not in words[0]:
        words[0] = find_program(words[0])
    return words


def _write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


# ------------------------------------------------------------------ FastCGI


class FastCGIResponder:
    """The program as a FastCGI responder on a Unix socket, in one of three
    modes:

      "spawn-fcgi" (the default for one child):
          spawn-fcgi -s SOCK -n -- account-reset [ARGS]
          spawn-fcgi binds the socket and execs the program in its own
          process (-n), so the harness keeps the responder's pid.
      "shared-socket" (the default for several children):
          the harness binds and listens on SOCK itself and starts each
          child with that socket as fd 0: what `spawn-fcgi -F N` does, but
          without daemonising, so every pid is known and none outlives the
          test.
      "listen":
          account-reset --listen unix:SOCK --workers N [ARGS]: the
          program's own supervisor and pre-forked workers (pids lists the
          supervisor; workers() reads its children from /proc).

    ARGS defaults to --allow-root when the tests run as root (the program
    refuses to serve as root otherwise).  The config is given in the
    environment (ACCOUNT_RESET_CONFIG), as a service manager would.

    Requests go through `cgi-fcgi -bind -connect SOCK` with the CGI
    variables in its environment and the body on its stdin.  The
    responders' stderr (fd 2) goes to a file; the FastCGI stderr stream
    (FCGI_STDERR, what a web server copies to its error log) arrives on
    cgi-fcgi's stderr and is kept too: log_text() returns both."""

    _count = 0

    def __init__(self, fixture, children=1, mode=None, config=None, program=None,
                 env=None, args=None):
        self.fixture = fixture
        self.children = children
        self.mode = mode or ("spawn-fcgi" if children == 1 else "shared-socket")
        if self.mode not in ("spawn-fcgi", "shared-socket", "listen"):
            raise HarnessError("unknown FastCGI mode %r" % self.mode)
        if self.mode == "spawn-fcgi" and children != 1:
            raise HarnessError("spawn-fcgi -n runs one child; use shared-socket or listen")
        self.config = config or fixture.config_path
        self.program = program or fixture.responder
        self.extra_env = env or {}
        if args is None:
            args = ["--allow-root"] if os.geteuid() == 0 else []
        self.args = list(args)
        self.wrapper = _wrapper("AR_RESPONDER_WRAPPER")
        FastCGIResponder._count += 1
        d = os.path.join(fixture.base, "fcgi%d" % FastCGIResponder._count)
        os.mkdir(d, 0o700)
        self.dir = d
        self.socket = os.path.join(d, "responder.sock")
        self.stderr_path = os.path.join(d, "responder.stderr")
        self.procs = []
        self.stream_stderr = []  # FCGI_STDERR of each request, via cgi-fcgi
        self._lock = threading.Lock()
        self.cgi_fcgi = find_program("cgi-fcgi")
        on_exit(self.kill)
        on_exit(lambda: record_bytes(record_name("fastcgi-stream", "stderr"),
                                     b"".join(self.stream_stderr)))

    def _env(self):
        e = _base_env()
        e["ACCOUNT_RESET_CONFIG"] = self.config
        e.update(self.extra_env)
        return e

    def _popen(self, cmd, stdin, errf):
        return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=errf,
                                env=self._env(), preexec_fn=_preexec_for_server())

    def _wait_for_socket(self):
        deadline = time.monotonic() + scaled(10)
        while not os.path.exists(self.socket):
            if self.procs[0].poll() is not None or time.monotonic() > deadline:
                raise HarnessError("no socket %s: %s" % (
                    self.socket, self.stderr_text().decode("utf-8", "replace")))
            time.sleep(0.01)

    def start(self, settle=0.2):
        """Starts the responder(s); HarnessError with their stderr if one
        exits within settle seconds (a bad config stops it at start)."""
        errf = open(self.stderr_path, "ab")
        try:
            if self.mode == "spawn-fcgi":
                cmd = [find_program("spawn-fcgi"), "-s", self.socket, "-n", "--"] + \
                    self.wrapper + [self.program] + self.args
                self.procs.append(self._popen(cmd, subprocess.DEVNULL, errf))
                self._wait_for_socket()
            elif self.mode == "listen":
                cmd = self.wrapper + [self.program, "--listen", "unix:" + self.socket,
                                      "--workers", str(self.children)] + self.args
                self.procs.append(self._popen(cmd, subprocess.DEVNULL, errf))
                self._wait_for_socket()
            else:
                lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    lsock.bind(self.socket)
                    lsock.listen(128)
                    for _ in range(self.children):
                        self.procs.append(self._popen(self.wrapper + [self.program] + self.args,
                                                      lsock.fileno(), errf))
                finally:
                    lsock.close()
        finally:
            errf.close()
        time.sleep(settle)
        dead = [p for p in self.procs if p.poll() is not None]
        if dead:
            raise HarnessError("responder exited at start (status %s): %s" % (
                dead[0].returncode, self.stderr_text().decode("utf-8", "replace")))
        return self

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def workers(self):
        """The pids serving requests: the children, or in listen mode the
        supervisor's children (from /proc) but for the one serving
        --metrics."""
        if self.mode != "listen":
            return [p.pid for p in self.procs if p.poll() is None]
        return [p for p in self._supervised() if _comm(p) != METRICS_PROCESS_NAME]

    def metrics_process(self):
        """The pid of the supervisor's child that serves --metrics, or None."""
        found = [p for p in self._supervised() if _comm(p) == METRICS_PROCESS_NAME]
        return found[0] if found else None

    def _supervised(self):
        return _children_of(self.procs[0].pid) if self.procs else []

    def alive(self):
        """True when every process started is still running."""
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    def stop(self, grace=10.0):
        """SIGTERM and wait (SIGKILL after grace seconds); returns the exit
        statuses."""
        for p in self.procs:
            _end_process(p, grace)
        return [p.returncode for p in self.procs]

    def kill(self):
        """Ends everything at once (in listen mode the supervisor first gets
        SIGTERM and a moment to end its workers, which it alone can reap).
        Under a wrapper (valgrind) or a sanitizer build every process gets
        SIGTERM and time to exit first, so that the leak check at exit runs
        and the final report is written."""
        if self.wrapper or any(k in os.environ for k in SANITIZER_VARIABLES):
            for p in self.procs:
                _end_process(p, 30.0)
        extra = []
        if self.mode == "listen" and self.alive():
            extra = self.workers()
            _end_process(self.procs[0], 3.0)
        for p in self.procs:
            _kill_process(p)
        for pid in extra:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def log_text(self):
        """The processes' stderr and every request's FastCGI stderr stream."""
        with self._lock:
            return self.stderr_text() + b"".join(self.stream_stderr)

    def log_lines(self):
        return [l for l in self.log_text().splitlines() if l.strip()]

    def request(self, payload=None, body=None, method="POST",
                content_type="application/json", content_length=AUTO, env=None,
                timeout=60.0):
        """One request through cgi-fcgi; arguments as Fixture.cgi."""
        f = self.fixture
        data = f._body(payload, body)
        e = f.request_env(method, data, content_type, content_length, env)
        full = _base_env()
        full.update(e)
        start = time.monotonic()
        try:
            p = subprocess.run([self.cgi_fcgi, "-bind", "-connect", self.socket],
                               input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=full, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClaimFailed("no answer within %.0f s (cgi-fcgi was killed; responder "
                              "alive: %s)" % (timeout, self.alive()))
        elapsed = time.monotonic() - start
        with self._lock:
            self.stream_stderr.append(p.stderr)
        try:
            resp = parse_cgi_output(p.stdout)
        except ValueError as err:
            raise ClaimFailed("%s (cgi-fcgi exit status %d, stderr %r; responder alive: %s)"
                              % (err, p.returncode, p.stderr[:500].decode("utf-8", "replace"),
                                 self.alive()))
        resp.stderr = p.stderr
        resp.returncode = p.returncode
        resp.elapsed = elapsed
        resp.via = "fastcgi"
        f._note_answer(resp)
        return resp


# The name the --metrics child gives itself (src/server/metrics_http.h).
METRICS_PROCESS_NAME = "ar-metrics"


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def _children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def run_parallel(fns, start_together=True):
    """Runs each function in its own thread, released together by a
    barrier; returns their results (an exception is returned in place of
    the result)."""
    results = [None] * len(fns)
    barrier = threading.Barrier(len(fns)) if start_together else None

    def run(i, fn):
        try:
            if barrier:
                barrier.wait(30)
            results[i] = fn()
        except BaseException as e:  # reported to the caller
            results[i] = e
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results
