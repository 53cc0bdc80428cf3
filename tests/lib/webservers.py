"""webservers.py: real web servers in front of account-reset, for the
end-to-end tests in tests/e2e.

Standard library only; builds on harness.py (its Fixture, TAP, cleanup
and contract checks).  It gives:

  * share_with_web_user(): makes a Fixture's files reachable by the web
    server's user (www-data), as a deployment must: the option file and
    the MariaDB socket for the responder's workers, the config file for a
    CGI program run by Apache.
  * standalone_responder(): account-reset --listen unix:SOCK --workers N,
    started as root with --user/--group www-data (the workers drop to it;
    the supervisor keeps root), its socket in a directory nginx can reach.
  * Nginx and Apache: each renders the shipped example (nginx.conf.example,
    conf/apache-*.conf.example) with scripts/render-conf into a private
    prefix, runs the real server in the foreground on a free 127.0.0.1
    port, and stops it (and every process it started) at exit.
  * CgiFcgiResponder: `cgi-fcgi -start -connect SOCK account-reset`, the
    README's local-testing path, and requests through `cgi-fcgi -bind`.
  * answer_shape() / expect_same_answer(): what must be equal when two
    front ends answer the same input (status, JSON, the contract headers);
    contract_cases(): the inputs the Apache tests send to Apache and nginx.
  * install_copy(): a built program copied where the web user can run it,
    as make install would put it, whatever the build tree's permissions.

Environment: AR_BUILDDIR and AR_SRCDIR as for harness.py.
"""

import ctypes
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

from harness import (ClaimFailed, FastCGIResponder, HarnessError, expect, expect_error,
                     expect_token, find_program, http_request, make_tempdir, on_exit,
                     padded_body, parse_cgi_output, scaled)

__all__ = [
    "WEB_USER", "API_PATH", "free_port", "as_root", "share_with_web_user",
    "standalone_responder", "Nginx", "Apache", "CgiFcgiResponder",
    "answer_shape", "expect_same_answer", "descendants", "uid_of", "json_body",
    "note_answer", "web_user_args", "contract_cases", "install_copy", "kill_tree",
    "expect_contract", "copy_www", "keepalive_template",
]

WEB_USER = "www-data"
API_PATH = "/api/v2/account/reset/"


def _source_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or _source_root())
BUILDDIR = os.path.abspath(os.environ.get("AR_BUILDDIR") or _source_root())
RENDER_CONF = os.path.join(SRCDIR, "scripts", "render-conf")

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent():
    """preexec_fn: SIGKILL when the test process dies, even by SIGKILL
    (PR_SET_PDEATHSIG; it follows the thread that forked, so servers are
    started from the main thread only)."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL, 0, 0, 0)


def as_root():
    return os.geteuid() == 0


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (a server that
    loses the race to bind it is started again on another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """Every live descendant of pid, from /proc (children first)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            kids = []
        out += kids
        todo += kids
    return out


def uid_of(pid):
    """The real uid of a process (from /proc), or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def kill_tree(proc, signo=signal.SIGTERM, grace=10.0):
    """Signals proc, waits grace seconds, then SIGKILLs it and whatever it
    started that is still there."""
    if proc.poll() is not None:
        return proc.returncode
    kids = descendants(proc.pid)
    try:
        proc.send_signal(signo)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        kids = set(kids) | set(descendants(proc.pid))
        proc.kill()
        proc.wait()
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.returncode


def _web_ids(user=WEB_USER):
    """(uid, gid) of user; the gid of the group of the same name, else the
    user's primary group."""
    pw = pwd.getpwnam(user)
    try:
        return pw.pw_uid, grp.getgrnam(user).gr_gid
    except KeyError:
        return pw.pw_uid, pw.pw_gid


def json_body(payload, fixture=None):
    """payload (a dict) as UTF-8 JSON, its password and code noted as
    secrets by fixture; bytes and str pass as they are."""
    if isinstance(payload, dict):
        if fixture is not None:
            for k in ("password", "validation_code"):
                fixture.note_secret(payload.get(k))
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return payload or b""


def note_answer(fixture, resp):
    """Notes the tokens of a 200 answer as secrets (no log may hold them)."""
    d = resp.json
    if fixture is not None and isinstance(d, dict) and isinstance(d.get("token"), dict):
        for k in ("access_token", "refresh_token"):
            fixture.note_secret(d["token"].get(k))
    return resp


def share_with_web_user(fixture, user=WEB_USER, config=True):
    """Lets user reach what a deployment gives it: search permission on
    the fixture's directories (base, etc, the MariaDB directory holding
    the socket), and group read on the option file and, when config is
    true, the config file (a CGI program reads it as that user).  Call it
    again after the fixture rewrites one of those files.  Nothing to do
    when the tests do not run as root (every process is the same user)."""
    if not as_root():
        return
    _, gid = _web_ids(user)
    for d in (fixture.base, fixture.etc, fixture.db.basedir):
        os.chmod(d, 0o711)
    files = [fixture.option_file] + ([fixture.config_path] if config else [])
    for path in files:
        os.chown(path, 0, gid)
        os.chmod(path, 0o640)


def install_copy(program, directory):
    """Copies program into directory (mode 0755), as make install would:
    a process that starts as the web user must be able to reach the file,
    whatever the permissions of the build tree."""
    dest = os.path.join(directory, os.path.basename(program))
    shutil.copy2(program, dest)
    os.chmod(dest, 0o755)
    return dest


def web_user_args(user=WEB_USER):
    """account-reset options that make its workers run as user (when the
    tests run as root; otherwise they already run unprivileged)."""
    return ["--user", user, "--group", user] if as_root() else []


def standalone_responder(fixture, workers=2, user=WEB_USER, config=None):
    """Starts account-reset --listen unix:SOCK --workers N (the harness's
    "listen" mode) with the workers dropping to user, on a socket that
    nginx's and Apache's workers (also user) can reach: the socket file is
    0660 (the program's default) and in user's group (--socket-group), in
    a 0711 directory."""
    share_with_web_user(fixture, user, config=False)
    r = FastCGIResponder(fixture, children=workers, mode="listen", config=config,
                         args=web_user_args(user) + ["--socket-group", user])
    os.chmod(r.dir, 0o711)
    return r.start()


def copy_www(dest):
    """Copies the source tree's www/ (the pages) to dest, readable by all."""
    shutil.copytree(os.path.join(SRCDIR, "www"), dest)
    for d, dirs, files in os.walk(dest):
        os.chmod(d, 0o755)
        for name in files:
            os.chmod(os.path.join(d, name), 0o644)
    return dest


def keepalive_template(directory, keepalive=1):
    """nginx.conf.example as it would be with FastCGI keep-alive: an
    upstream block holding `keepalive` idle connections per nginx worker
    to the responder's socket, and fastcgi_keep_conn on in every location
    that passes to it.  Written to DIRECTORY/nginx-keepalive.conf (a name
    render-conf knows as nginx's) and returned; the benchmark and the soak
    measure it against the example as shipped (docs/BENCHMARKS.md)."""
    with open(os.path.join(SRCDIR, "nginx.conf.example")) as f:
        text = f.read()
    sock = "/run/account-reset/account-reset.sock"
    upstream = ("\tupstream account_reset_keepalive {\n\t\tserver unix:%s;\n"
                "\t\tkeepalive %d;\n\t}\n\n" % (sock, keepalive))
    at = text.index("\n\tserver {\n") + 1
    text = text[:at] + upstream + text[at:]
    old = "fastcgi_pass unix:%s;" % sock
    if old not in text:
        raise HarnessError("nginx.conf.example has no %r" % old)
    text = text.replace(old, "fastcgi_pass account_reset_keepalive;\n"
                        "\t\t\tfastcgi_keep_conn on;")
    path = os.path.join(directory, "nginx-keepalive.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def _render(template, out, *options):
    cmd = [sys.executable, RENDER_CONF] + list(options) + [template, out]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise HarnessError("render-conf failed (%d): %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    return out


class _WebServer:
    """A real web server in the foreground on 127.0.0.1:port (or host, an
    address such as ::1), configured by rendering a shipped example;
    stopped at exit."""

    name = "server"
    tries = 3
    host = "127.0.0.1"

    def __init__(self, prefix_tag, www=None):
        self.prefix = make_tempdir(prefix_tag)
        os.chmod(self.prefix, 0o755)  # its workers (www-data) write temp files here
        # The pages (README, "The pages"): a copy of the source tree's www/
        # (as make install would put it, readable by the web user and free
        # for a test to change, e.g. site.js), or the directory given.
        self.www = www or copy_www(os.path.join(self.prefix, "www"))
        self.port = None
        self.proc = None
        self.conf = None
        self.stdio_path = os.path.join(self.prefix, "stdio.log")
        on_exit(self.stop)

    # subclasses: render(listen) -> config path; command() -> argv
    def render(self, listen):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def start(self, timeout=15.0):
        """Renders the config for a free port and starts the server; returns
        when the port accepts connections (HarnessError with its logs if it
        exits or does not listen in time)."""
        last = ""
        for _ in range(self.tries):
            self.port = free_port()
            self.conf = self.render(("[%s]:%d" if ":" in self.host else "%s:%d")
                                    % (self.host, self.port))
            with open(self.stdio_path, "ab") as out:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                             stdout=out, stderr=out,
                                             preexec_fn=_die_with_parent)
            deadline = time.monotonic() + scaled(timeout)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection((self.host, self.port), 0.5).close()
                    return self
                except OSError:
                    time.sleep(0.02)
            last = self.logs()
            if self.proc.poll() is None:
                kill_tree(self.proc, signal.SIGKILL, 2.0)
            if "ddress already in use" not in last:
                break
        raise HarnessError("%s did not start on port %s:\n%s" % (self.name, self.port,
                                                                 last[-3000:]))

    def stop(self, grace=10.0):
        """Stops the server and everything it started; returns its status."""
        if self.proc is None:
            return None
        return kill_tree(self.proc, signal.SIGTERM, grace)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_files(self):
        out = [self.stdio_path]
        logdir = os.path.join(self.prefix, "log")
        if os.path.isdir(logdir):
            out += sorted(os.path.join(logdir, n) for n in os.listdir(logdir))
        return out

    def logs(self):
        """Every log file of this server, concatenated (text)."""
        parts = []
        for path in self.log_files():
            try:
                with open(path, "rb") as f:
                    parts.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        return "\n".join(parts)

    def url(self, path=API_PATH):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method="POST", body=b"", headers=None, path=API_PATH, timeout=30.0):
        """One HTTP/1.1 request on a fresh connection; a Response (harness).
        An answer cut off mid-body fails the claim with what did arrive."""
        try:
            return http_request("127.0.0.1", self.port, method, path, body, headers,
                                timeout=timeout)
        except http.client.IncompleteRead as e:
            raise ClaimFailed("%s %s: the answer was cut off (the server reset the "
                              "connection) after %d body bytes: %r"
                              % (self.name, method, len(e.partial), e.partial[:200]))

    def post_json(self, payload, fixture=None, content_type="application/json",
                  headers=None):
        """POSTs payload (a dict, sent as JSON, or bytes as they are); the
        fixture, when given, notes the secrets in it."""
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        return note_answer(fixture, self.request("POST", json_body(payload, fixture), h))

    def curl(self, *args, timeout=30.0):
        """Runs curl against the API URL with args; returns (exit status,
        Response or None, stderr).  For what http.client cannot send (a
        chunked body, a POST with no Content-Length)."""
        cmd = [find_program("curl"), "-sS", "-i", "--max-time", str(int(timeout))]
        cmd += list(args) + [self.url()]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout + 5)
        resp = None
        if p.stdout:
            resp = _parse_http(p.stdout)
        return p.returncode, resp, p.stderr.decode("utf-8", "replace")


def _parse_http(raw):
    """A Response from curl -i output (the last header block, after any
    100 Continue)."""
    while re.match(rb"HTTP/[0-9.]+ 1[0-9][0-9]", raw):
        end = raw.find(b"\r\n\r\n")
        raw = raw[end + 4:] if end >= 0 else b""
    line_end = raw.find(b"\r\n")
    status_line = raw[:line_end].decode("latin-1")
    m = re.match(r"HTTP/[0-9.]+ ([0-9]{3})", status_line)
    if not m:
        raise ClaimFailed("no HTTP status line in %r" % raw[:200])
    resp = parse_cgi_output(b"Status: " + m.group(1).encode() + b"\r\n" + raw[line_end + 2:])
    resp.header_list = [h for h in resp.header_list if h[0] != "status"]
    resp.headers.pop("status", None)
    resp.via = "http"
    return resp


class Nginx(_WebServer):
    """nginx rendered from nginx.conf.example in front of the socket.

    rate/burst: the limit_req values (None keeps the example's 10r/s,
    burst 20; the tests pass a higher rate so that their bursts from one
    address are not refused, except where the limit itself is tested)."""

    name = "nginx"

    def __init__(self, socket_path, rate=1000, burst=200, template=None, www=None,
                 host=None):
        super().__init__("ar-nginx-", www)
        if host is not None:
            self.host = host
        self.socket_path = socket_path
        self.rate = rate
        self.burst = burst
        self.template = template or os.path.join(SRCDIR, "nginx.conf.example")
        self.nginx = find_program("nginx")

    def render(self, listen):
        opts = ["--prefix", self.prefix, "--listen", listen, "--socket", self.socket_path,
                "--www", self.www, "--mkdirs"]
        if self.rate is not None:
            opts += ["--rate", str(self.rate)]
        if self.burst is not None:
            opts += ["--burst", str(self.burst)]
        return _render(self.template, os.path.join(self.prefix, "nginx.conf"), *opts)

    def command(self):
        return [self.nginx, "-p", self.prefix + "/", "-c", self.conf, "-g", "daemon off;"]

    def workers(self):
        return descendants(self.proc.pid) if self.running() else []

    def access_log(self):
        try:
            with open(os.path.join(self.prefix, "log", "account-reset.access.log")) as f:
                return f.read()
        except OSError:
            return ""


class Apache(_WebServer):
    """Apache httpd rendered (render-conf --standalone) from
    conf/apache-fcgi.conf.example (kind "fcgi": mod_proxy_fcgi to
    socket_path) or conf/apache-cgi.conf.example (kind "cgi": mod_cgid
    running account-reset.cgi, copied into the prefix's cgi-bin as make
    install would put it, with ACCOUNT_RESET_CONFIG = config)."""

    name = "apache"

    def __init__(self, kind, socket_path=None, config=None, cgi_program=None, www=None):
        super().__init__("ar-apache-", www)
        if kind not in ("fcgi", "cgi"):
            raise HarnessError("Apache kind is fcgi or cgi, not %r" % kind)
        self.kind = kind
        self.socket_path = socket_path
        self.config = config
        self.template = os.path.join(SRCDIR, "conf", "apache-%s.conf.example" % kind)
        self.httpd = find_program("apache2")
        if kind == "cgi":
            self.cgi_bin = os.path.join(self.prefix, "cgi-bin")
            os.mkdir(self.cgi_bin, 0o755)
            install_copy(cgi_program or os.path.join(BUILDDIR, "cgi-bin", "account-reset.cgi"),
                         self.cgi_bin)

    def render(self, listen):
        opts = ["--standalone", "--prefix", self.prefix, "--listen", listen,
                "--www", self.www, "--mkdirs"]
        if self.kind == "fcgi":
            opts += ["--socket", self.socket_path]
        else:
            opts += ["--cgi-bin", self.cgi_bin, "--config", self.config]
        return _render(self.template, os.path.join(self.prefix, "httpd.conf"), *opts)

    def command(self):
        return [self.httpd, "-f", self.conf, "-DFOREGROUND"]


class CgiFcgiResponder:
    """`cgi-fcgi -start -connect SOCK account-reset` (a copy of the built
    program in a temporary directory, as make install would put it): cgi-fcgi binds the
    socket, starts the program on it (fd 0) and exits, leaving the program
    running.  This process becomes a child subreaper first, so the
    program, orphaned, is re-parented here: its pid is known and it is
    ended at exit.

    cgi-fcgi passes no options to the program, and the program refuses to
    serve as root without --allow-root; so, when the tests run as root,
    cgi-fcgi (and the program) run as user, as a developer would run them
    from their own account."""

    def __init__(self, fixture, user=WEB_USER):
        self.fixture = fixture
        self.user = user if as_root() else None
        self.dir = make_tempdir("ar-cgifcgi-")
        self.socket = os.path.join(self.dir, "responder.sock")
        self.stderr_path = os.path.join(self.dir, "responder.stderr")
        self.cgi_fcgi = find_program("cgi-fcgi")
        self.program = install_copy(fixture.responder, self.dir)
        self.pid = None
        self.start_status = None
        on_exit(self.stop)

    def start(self, timeout=10.0):
        """Runs cgi-fcgi -start; returns its exit status once the socket
        exists and the program runs (HarnessError otherwise)."""
        if self.user:
            share_with_web_user(self.fixture, self.user)
            uid, gid = _web_ids(self.user)
            os.chown(self.dir, uid, gid)
        if _prctl is not None:
            _prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        before = set(descendants(os.getpid()))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "ACCOUNT_RESET_CONFIG": self.fixture.config_path}
        kwargs = {}
        if self.user:
            kwargs = dict(user=self.user, group=self.user, extra_groups=[])
        with open(self.stderr_path, "ab") as err:
            p = subprocess.run([self.cgi_fcgi, "-start", "-connect", self.socket,
                                self.program],
                               stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env,
                               cwd=self.dir, timeout=timeout, **kwargs)
        self.start_status = p.returncode
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            new = [pid for pid in descendants(os.getpid())
                   if pid not in before and self._is_responder(pid)]
            if new and os.path.exists(self.socket):
                self.pid = new[0]
                return p.returncode
            time.sleep(0.02)
        raise HarnessError("cgi-fcgi -start (status %d) left no responder (socket "
                           "there: %s; new descendants: %r): %s" % (
                               p.returncode, os.path.exists(self.socket),
                               sorted(set(descendants(os.getpid())) - before),
                               self.stderr_text()))

    def _is_responder(self, pid):
        try:
            return os.readlink("/proc/%d/exe" % pid) == os.path.realpath(self.program)
        except OSError:
            return False

    def alive(self):
        if self.pid is None:
            return False
        try:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return done == 0

    def stop(self, signo=signal.SIGTERM, grace=10.0):
        """Signals the program and reaps it; returns its wait status or None."""
        if self.pid is None:
            return None
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, signo)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + scaled(grace)
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if done:
                return status
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1]
            time.sleep(0.02)

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def request(self, payload=None, body=None, method="POST",
                content_type="application/json", timeout=30.0):
        """One request through `cgi-fcgi -bind -connect SOCK`, the CGI
        variables in its environment and the body on its stdin."""
        f = self.fixture
        data = json_body(payload if body is None else body, f)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        env.update(f.request_env(method, data, content_type))
        p = subprocess.run([self.cgi_fcgi, "-bind", "-connect", self.socket],
                           input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=timeout)
        try:
            resp = parse_cgi_output(p.stdout)
        except ValueError as e:
            raise ClaimFailed("%s (cgi-fcgi exit status %d, stderr %r)" % (
                e, p.returncode, p.stderr[:300]))
        resp.stderr = p.stderr
        resp.returncode = p.returncode
        resp.via = "fastcgi"
        return note_answer(f, resp)


# ------------------------------------------------------------ comparing

CONTRACT_HEADERS = ("cache-control", "pragma", "x-content-type-options", "allow",
                    "retry-after")


def answer_shape(resp):
    """What two front ends must agree on for the same input: the status,
    the media type, the contract headers, and the JSON body (a token
    object by its keys and non-secret members, since tokens are fresh)."""
    media = (resp.header("content-type") or "").split(";", 1)[0].strip().lower()
    headers = {h: resp.header(h) for h in CONTRACT_HEADERS if resp.header(h) is not None}
    body = resp.json
    if isinstance(body, dict) and isinstance(body.get("token"), dict):
        tok = dict(body["token"])
        for k in ("access_token", "refresh_token"):
            if k in tok:
                tok[k] = "<%d chars>" % len(tok[k]) if isinstance(tok[k], str) else tok[k]
        body = {"token": tok}
    elif body is None:
        body = "<not JSON: %r>" % resp.body[:80]
    return {"status": resp.status, "media_type": media, "headers": headers, "json": body}


def expect_same_answer(got, want, got_name="this server", want_name="nginx"):
    """Fails with the differences when got's shape is not want's."""
    a, b = answer_shape(got), answer_shape(want)
    diffs = ["%s: %s %r, %s %r" % (k, got_name, a[k], want_name, b[k])
             for k in a if a[k] != b[k]]
    expect(not diffs, "answers differ:\n" + "\n".join(diffs))


# ------------------------------------------------------------ the same inputs


def expect_contract(resp, want, client_id, scope, lifetime):
    """resp is what contract_cases() says it must be: want is ("token",)
    for the spec's 200 answer, else (status, error[, violations])."""
    if want == ("token",):
        expect_token(resp, client_id, scope, lifetime)
    else:
        expect_error(resp, *want)


def contract_cases(max_body=8192):
    """The inputs every front end must answer alike: (description, what the
    answer must be, send) where send(server, fixture) returns the answer
    and what is wanted is ("token",) or (status, error[, violations])."""
    def send_json(p, **kw):
        return lambda s, f: s.post_json(p, fixture=f, **kw)

    def reset(s, f):
        email, old, code = f.user_and_code()
        new = "Same-%s9a!" % os.urandom(6).hex()
        r = s.post_json({"validation_code": code, "password": new}, fixture=f)
        r.reset_user = (email, old, new)
        return r

    def no_length(s, f):
        rc, r, err = s.curl("-X", "POST", "-H", "Content-Type: application/json")
        if r is None:
            raise ClaimFailed("curl failed (%d): %s" % (rc, err))
        return r

    unknown = "unknown-" + os.urandom(16).hex()
    return [
        ("a valid code and password: the reset", ("token",), reset),
        ("a refused password", (400, "invalid_password",
                                ["too_short", "too_few_character_classes"]),
         send_json({"validation_code": unknown, "password": "abc"})),
        ("an unknown code", (400, "invalid_validation_code"),
         send_json({"validation_code": unknown, "password": "Valid-Passw0rd"})),
        ("a body that is not JSON", (400, "invalid_request"), send_json(b"{not json")),
        ("GET", (405, "method_not_allowed"), lambda s, f: s.request("GET")),
        ("a POST without Content-Length", (411, "length_required"), no_length),
        ("a text/plain body", (415, "unsupported_media_type"),
         send_json({"validation_code": unknown, "password": "Valid-Passw0rd"},
                   content_type="text/plain")),
        ("a body over the limit (%d bytes)" % (max_body + 1), (413, "payload_too_large"),
         send_json(padded_body("x" * 43, "Valid-Passw0rd", max_body + 1))),
    ]
