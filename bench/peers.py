"""peers.py: what make bench sets account-reset against, besides the
static nginx of nginx-static-peer.conf.

  * NullResponder: bench/null-responder (built by make bench), a libfcgi
    loop that answers a refused password without looking, with as many
    workers as the service, behind nginx rendered from nginx.conf.example
    exactly as the service is.  The refused-password phase's anchor.
  * PhpPeer: the PHP peer of ../shared/peers/php (README there), under
    php-fpm 8.2 (a static pool of one process per CPU, its workers as
    www-data), behind nginx rendered from the same nginx.conf.example
    (access log, limit_req, body limits, timeouts), with the one line a
    PHP location needs more (SCRIPT_FILENAME); its own database "peer" on
    the benchmark's MariaDB, seeded with users and codes.  The peer's
    files are read where they are, at run time; none is copied.

Both are stopped at exit (harness.on_exit) and on failure; every file is
in a temporary directory.  Imported by run-bench once tests/lib is on
sys.path.
"""

import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time

import harness
import webservers

NGINX_SCRIPT_PARAM_AFTER = 'fastcgi_param HTTP_PROXY        "";'


class PeerError(Exception):
    """A peer could not be started (run-bench turns it into BenchError)."""


def _wait_for_socket(path, proc, what, timeout=15.0):
    """Returns once path accepts a connection; PeerError if proc exits or
    the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerError("%s exited with %d at start" % (what, proc.returncode))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    raise PeerError("%s did not listen on %s within %.0f s" % (what, path, timeout))


class _Process:
    """A started server process and its children; stop() ends them all."""

    proc = None

    def pids(self):
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid] + webservers.descendants(self.proc.pid)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            webservers.kill_tree(self.proc, signal.SIGTERM, 10.0)


class NullResponder(_Process):
    """bench/null-responder --listen SOCK --workers W (workers as
    www-data when run as root) and its own nginx from nginx.conf.example."""

    def __init__(self, builddir, workers, rate, burst, answer="password"):
        self.program = os.path.join(builddir, "bench", "null-responder")
        if not os.access(self.program, os.X_OK):
            raise PeerError("%s is not built (make bench/null-responder)" % self.program)
        self.dir = harness.make_tempdir("ar-null-")
        os.chmod(self.dir, 0o711)
        self.socket = os.path.join(self.dir, "null.sock")
        self.workers = workers
        self.answer = answer
        self.rate, self.burst = rate, burst
        self.nginx = None
        harness.on_exit(self.stop)

    def start(self):
        cmd = [self.program, "--listen", self.socket, "--workers", str(self.workers),
               "--answer", self.answer]
        if webservers.as_root():
            cmd += ["--user", webservers.WEB_USER]
        with open(os.path.join(self.dir, "stderr.log"), "ab") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         preexec_fn=harness._die_with_parent)
        _wait_for_socket(self.socket, self.proc, "null-responder")
        self.nginx = webservers.Nginx(self.socket, rate=self.rate, burst=self.burst).start()
        return self

    def cpu_groups(self):
        return {"nginx": [self.nginx.proc.pid] + webservers.descendants(self.nginx.proc.pid),
                "responder": self.pids()}

    def url(self):
        return self.nginx.url()

    def stop(self):
        if self.nginx is not None:
            self.nginx.stop()
        _Process.stop(self)


def shared_dir(srcdir):
    """The shared/ directory beside the source tree (CI lays a copy of it
    there), or BENCH_SHARED."""
    return os.path.abspath(os.environ.get("BENCH_SHARED") or
                           os.path.join(srcdir, "..", "shared"))


class PhpNginx(webservers.Nginx):
    """nginx.conf.example rendered for php-fpm's socket, plus the
    SCRIPT_FILENAME parameter php-fpm needs to find the script; nothing
    else differs from the service's nginx."""

    name = "PHP peer nginx"

    def __init__(self, socket_path, script, rate, burst):
        super().__init__(socket_path, rate=rate, burst=burst)
        self.script = script

    def render(self, listen):
        path = super().render(listen)
        with open(path) as f:
            text = f.read()
        # The API's location is the first that has the line (the health
        # location, after it, has one too).
        if text.count(NGINX_SCRIPT_PARAM_AFTER) < 1:
            raise PeerError("nginx.conf.example: no line %r to add "
                            "SCRIPT_FILENAME after" % NGINX_SCRIPT_PARAM_AFTER)
        text = text.replace(NGINX_SCRIPT_PARAM_AFTER, NGINX_SCRIPT_PARAM_AFTER +
                            "\n\t\t\tfastcgi_param SCRIPT_FILENAME   %s;" % self.script, 1)
        with open(path, "w") as f:
            f.write(text)
        return path


FPM_CONF = """\
[global]
pid = {dir}/fpm.pid
error_log = {dir}/fpm.err
daemonize = no

[peer]
listen = {socket}
listen.mode = 0666
{user}pm = static
pm.max_children = {children}
clear_env = no
php_admin_flag[log_errors] = on
php_admin_value[error_log] = {dir}/php.err
"""


class PhpPeer(_Process):
    """php-fpm8.2 running the peer's reset.php (a static pool of
    `children` processes), its nginx, and its database "peer" on db."""

    DATABASE = "peer"

    def __init__(self, srcdir, db, children, rate, burst):
        self.peer_dir = os.path.join(shared_dir(srcdir), "peers", "php")
        self.script = os.path.join(self.peer_dir, "reset.php")
        self.schema = os.path.join(self.peer_dir, "schema.sql")
        for path in (self.script, self.schema):
            if not os.path.isfile(path):
                raise PeerError("%s not found: the PHP peer is read from shared/ beside "
                                "the source tree (or BENCH_SHARED)" % path)
        self.fpm = shutil.which("php-fpm8.2", path="/usr/sbin:/usr/bin:" +
                                os.environ.get("PATH", ""))
        if self.fpm is None:
            raise PeerError("php-fpm8.2 is not installed (scripts/install-deps: "
                            "php8.2-fpm php8.2-mysql php8.2-mbstring)")
        self.db = db
        self.children = children
        self.rate, self.burst = rate, burst
        self.dir = harness.make_tempdir("ar-php-")
        os.chmod(self.dir, 0o711)
        self.socket = os.path.join(self.dir, "fpm.sock")
        self.nginx = None
        harness.on_exit(self.stop)

    def setup_database(self, users, days=1):
        """Creates the database "peer" from the peer's schema and seeds
        users peer1..peerN, one code each; returns the codes."""
        self.db.sql("CREATE DATABASE `%s`" % self.DATABASE, database=None)
        with open(self.schema, "rb") as f:
            self.db.sql_script(f.read(), database=self.DATABASE)
        codes = [secrets.token_urlsafe(24) for _ in range(users)]
        parts = ["START TRANSACTION;"]
        chunk = 5000
        for lo in range(0, users, chunk):
            idx = range(lo, min(users, lo + chunk))
            parts.append("INSERT INTO users (id, email, password) VALUES %s;" % ",".join(
                "(%d,'peer%d@example.test','-')" % (i + 1, i + 1) for i in idx))
            parts.append("INSERT INTO reset_codes (code_hash, user_id, expires_at) VALUES "
                         "%s;" % ",".join(
                             "(UNHEX('%s'),%d,NOW() + INTERVAL %d DAY)"
                             % (hashlib.sha256(codes[i].encode()).hexdigest(), i + 1, days)
                             for i in idx))
        parts.append("COMMIT;")
        self.db.sql_script("\n".join(parts), database=self.DATABASE, timeout=600)
        return codes

    def start(self):
        user = ""
        if webservers.as_root():
            user = "user = %s\ngroup = %s\n" % (webservers.WEB_USER, webservers.WEB_USER)
        conf = os.path.join(self.dir, "fpm.conf")
        with open(conf, "w") as f:
            f.write(FPM_CONF.format(dir=self.dir, socket=self.socket, user=user,
                                    children=self.children))
        env = dict(os.environ, PEER_DB_SOCKET=self.db.socket)
        with open(os.path.join(self.dir, "stdio.log"), "ab") as out:
            self.proc = subprocess.Popen([self.fpm, "-y", conf, "-F"],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         env=env, preexec_fn=harness._die_with_parent)
        try:
            _wait_for_socket(self.socket, self.proc, "php-fpm")
        except PeerError as e:
            raise PeerError("%s: %s" % (e, self.logs()[-2000:]))
        self.nginx = PhpNginx(self.socket, self.script, self.rate, self.burst).start()
        return self

    def logs(self):
        text = []
        for name in ("stdio.log", "fpm.err", "php.err"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    text.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        return "\n".join(text)

    def cpu_groups(self):
        return {"nginx": [self.nginx.proc.pid] + webservers.descendants(self.nginx.proc.pid),
                "responder": self.pids(),
                "mariadbd": [self.db.pid]}

    def url(self):
        return self.nginx.url()

    def stop(self):
        if self.nginx is not None:
            self.nginx.stop()
        _Process.stop(self)
