"""galera.py: a private 3-node MariaDB Galera cluster on 127.0.0.1, for
the tests in tests/cluster/.

Every node has its own data dir, Unix socket, error log and defaults
file (with an [sst] section, so that the SST scripts never read
/etc/mysql) in a temporary directory, and four free loopback ports:
client, gcomm (group communication), IST and SST.

Starting a cluster from scratch makes the joiners copy the whole data dir
(SST, about 30 s).  Instead, a template data dir is made once per test
run: mariadb-install-db, then one start as a one-node cluster that loads
the schema, then a clean shutdown (grastate.dat then holds the cluster's
UUID and seqno).  Each cluster copies the template into its three nodes:
node 1 bootstraps the cluster from it, nodes 2 and 3 join and, having the
same state, need only an empty IST.  The template lives in
$AR_BUILDDIR/tests/galera-template (made under a lock by the first test
that needs it; AR_GALERA_TEMPLATE names another place).

Short evs timeouts (keepalive 0.2 s, suspect 1 s, inactive 2 s) make a
killed node leave the view in about 1.5 s rather than 6.  A node killed
with SIGKILL is started again with --wsrep-recover first (which prints
the last committed position) and then --wsrep-start-position, so that it
rejoins by IST rather than a full SST.

Cluster.kill(i) / start_node(i) / freeze(i) drive failures; node(i).sql()
reads and writes through a node's Unix socket (root, no password).
"""

import fcntl
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import (AUTO, HarnessError, MariaDBProcess, _preexec_for_server, find_program,
                     make_tempdir, on_exit, scaled)

__all__ = ["Cluster", "Node", "free_ports", "template_dir"]

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
DATABASE = "account_reset"

# Fast failure detection; evs.inactive_check_period must not exceed
# evs.suspect_timeout, which must not exceed evs.inactive_timeout.
EVS_OPTIONS = ("evs.keepalive_period=PT0.2S; evs.inactive_check_period=PT0.2S; "
               "evs.suspect_timeout=PT1S; evs.inactive_timeout=PT2S; "
               "evs.install_timeout=PT2S; gcache.size=32M")


def free_ports(n):
    """n distinct loopback ports free right now (bound to port 0 and
    released: another process could take one meanwhile, which the start
    of a node then reports)."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def template_dir():
    d = os.environ.get("AR_GALERA_TEMPLATE")
    if d:
        return os.path.abspath(d)
    base = os.environ.get("AR_BUILDDIR") or os.path.join(
        os.path.dirname(__file__), "..", "..")
    return os.path.abspath(os.path.join(base, "tests", "galera-template"))


class Node(MariaDBProcess):
    """One mariadbd with wsrep on.  index is 1-based.  Its life as a
    process, sql_value and sql_script are harness.MariaDBProcess's."""

    default_database = DATABASE

    def __init__(self, cluster, index, ports):
        self.cluster = cluster
        self.index = index
        self.port, self.gcomm_port, self.ist_port, self.sst_port = ports
        self.dir = os.path.join(cluster.base, "node%d" % index)
        self.basedir = self.dir  # as harness.MariaDB names it
        self.datadir = os.path.join(self.dir, "data")
        self.tmpdir = os.path.join(self.dir, "tmp")
        self.socket = os.path.join(self.dir, "mysql.sock")
        self.error_log = os.path.join(self.dir, "error.log")
        self.defaults = os.path.join(self.dir, "my.cnf")
        self.proc = None
        self.frozen = False

    @property
    def address(self):
        """host:port of the client port, as db_hosts takes it."""
        return "127.0.0.1:%d" % self.port

    def write_defaults(self, cluster_address):
        lines = [
            "[mysqld]",
            "datadir=" + self.datadir,
            "tmpdir=" + self.tmpdir,
            "socket=" + self.socket,
            "pid-file=" + os.path.join(self.dir, "mysqld.pid"),
            "log-error=" + self.error_log,
            "port=%d" % self.port,
            "bind-address=127.0.0.1",
            "skip-name-resolve",
            "innodb-buffer-pool-size=32M",
            "innodb-log-file-size=16M",
            "binlog-format=ROW",
            "default-storage-engine=InnoDB",
            "innodb-autoinc-lock-mode=2",
            "max-connections=200",
            "wsrep-on=ON",
            "wsrep-provider=" + PROVIDER,
            "wsrep-cluster-name=ar-test",
            "wsrep-cluster-address=" + cluster_address,
            "wsrep-node-name=node%d" % self.index,
            "wsrep-node-address=127.0.0.1:%d" % self.gcomm_port,
            "wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:%d; "
            "ist.recv_addr=127.0.0.1:%d; %s" % (self.gcomm_port, self.ist_port,
                                               EVS_OPTIONS),
            "wsrep-sst-receive-address=127.0.0.1:%d" % self.sst_port,
            "wsrep-sst-method=mariabackup",
            "wsrep-sst-auth=root:",
            # What the README recommends: refuse anything Galera cannot
            # replicate (MEMORY and MyISAM tables among them).
            "wsrep-mode=STRICT_REPLICATION",
            "[sst]",
            "sst-syslog=-1",
        ]
        if os.geteuid() == 0:
            lines.insert(1, "user=root")
        os.makedirs(self.tmpdir, 0o700, exist_ok=True)
        with open(self.defaults, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _server(self, *extra):
        return [self.cluster.mariadbd, "--defaults-file=" + self.defaults] + list(extra)

    def recovered_position(self):
        """Runs mariadbd --wsrep-recover and returns 'uuid:seqno' (None if
        it printed none)."""
        r = subprocess.run(self._server("--wsrep-recover", "--log-error=" + self.error_log +
                                        ".recover"),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
        try:
            with open(self.error_log + ".recover", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        m = re.findall(r"Recovered position:\s*([0-9a-f-]{36}:-?[0-9]+)", text)
        if r.returncode != 0 or not m:
            return None
        return m[-1]

    def launch(self, *extra):
        """Starts the process (does not wait)."""
        if self.running():
            raise HarnessError("node %d is already running" % self.index)
        self.proc = subprocess.Popen(self._server(*extra), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=_preexec_for_server())
        self.frozen = False

    def stop(self, timeout=60.0):
        self.terminate(timeout)

    # -- SQL through the node's Unix socket

    def _client_cmd(self, database, timeout=5):
        cmd = [self.cluster.client, "--no-defaults", "-S", self.socket, "-uroot",
               "--default-character-set=utf8mb4", "-N", "-B",
               "--connect-timeout=%d" % timeout]
        if database:
            cmd.append("--database=" + database)
        return cmd

    def sql(self, query, database=AUTO, timeout=30.0):
        rows, err = self.try_sql(query, database, timeout)
        if rows is None:
            raise HarnessError("SQL on node %d failed: %s\n%s" % (self.index, query, err))
        return rows

    def status(self, name):
        """A global status value (e.g. wsrep_local_state_comment), or None."""
        rows, _ = self.try_sql("SHOW GLOBAL STATUS LIKE '%s'" % name, database=None,
                               timeout=5.0)
        return rows[0][1] if rows else None

    def synced(self):
        return (self.running() and self.status("wsrep_ready") == "ON"
                and self.status("wsrep_local_state_comment") == "Synced")


class Cluster:
    """n nodes started from the template.  setup() returns when every node
    is Synced in a Primary view of n."""

    def __init__(self, schema, n=3, start_timeout=120.0):
        self.schema = schema
        self.n = n
        self.start_timeout = start_timeout
        self.mariadbd = find_program("mariadbd")
        self.install_db = find_program("mariadb-install-db")
        self.client = find_program("mariadb")
        if not os.path.exists(PROVIDER):
            raise HarnessError("no Galera provider at %s (Debian package galera-4)" % PROVIDER)
        self.base = make_tempdir("ar-gc-")
        ports = free_ports(4 * n)
        self.nodes = [Node(self, i + 1, ports[4 * i:4 * i + 4]) for i in range(n)]
        self.gcomm = "gcomm://" + ",".join("127.0.0.1:%d" % nd.gcomm_port
                                           for nd in self.nodes)
        on_exit(self.kill_all)

    def node(self, i):
        return self.nodes[i - 1]

    @property
    def hosts(self):
        return [nd.address for nd in self.nodes]

    # -- the template

    def _make_template(self, dest):
        """install-db, one start as a one-node cluster that loads the
        schema, a clean shutdown."""
        # A short path of its own: a unix socket path is at most 107 bytes,
        # and the build tree of a clone may be deep.
        work = tempfile.mkdtemp(prefix="ar-gt-")
        ports = free_ports(4)
        fake = Cluster.__new__(Cluster)
        fake.base, fake.mariadbd, fake.client = work, self.mariadbd, self.client
        nd = Node(fake, 1, ports)
        os.makedirs(nd.dir, 0o700)
        cmd = [self.install_db, "--no-defaults", "--datadir=" + nd.datadir,
               "--auth-root-authentication-method=normal", "--skip-test-db",
               "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=180)
        if r.returncode != 0:
            raise HarnessError("mariadb-install-db failed: %s"
                               % r.stdout.decode(errors="replace")[-2000:])
        nd.write_defaults("gcomm://")
        nd.launch("--wsrep-new-cluster")
        try:
            self._wait([nd], 1, self.start_timeout)
            nd.sql("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                   % DATABASE, database=None)
            with open(self.schema, "rb") as f:
                nd.sql_script(f.read())
        finally:
            nd.stop()
        if nd.proc.returncode != 0:
            raise HarnessError("the template node did not shut down cleanly:\n%s"
                               % nd.error_log_tail())
        shutil.move(nd.datadir, dest)
        shutil.rmtree(work, ignore_errors=True)

    def template(self):
        """The template data dir, made now if this run has none yet (the
        schema file's mtime is part of its name, so an edit remakes it)."""
        top = template_dir()
        os.makedirs(top, 0o700, exist_ok=True)
        st = os.stat(self.schema)
        dest = os.path.join(top, "data-%d-%d" % (int(st.st_mtime), st.st_size))
        with open(os.path.join(top, "lock"), "w") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            if not os.path.exists(os.path.join(dest, "grastate.dat")):
                self._make_template(dest)
        return dest

    # -- start and wait

    def _wait(self, nodes, size, timeout):
        deadline = time.monotonic() + scaled(timeout)
        while True:
            dead = [nd for nd in nodes if not nd.running()]
            if dead:
                raise HarnessError("node %d exited at start:\n%s"
                                   % (dead[0].index, dead[0].error_log_tail()))
            if all(nd.synced() and nd.status("wsrep_cluster_size") == str(size)
                   for nd in nodes):
                return
            if time.monotonic() > deadline:
                raise HarnessError("cluster not Synced within %.0f s:\n%s" % (
                    timeout, "\n".join("node %d: %s" % (nd.index, nd.error_log_tail(8))
                                      for nd in nodes)))
            time.sleep(0.1)

    def setup(self):
        """Copies the template into every node, bootstraps node 1 and
        joins the others one at a time (two joining at once on a busy
        machine can miss the short install time-out, and a node that
        misses it exits: it is started again, up to JOIN_TRIES times)."""
        src = self.template()
        for nd in self.nodes:
            os.makedirs(nd.dir, 0o700)
            shutil.copytree(src, nd.datadir, symlinks=True)
            nd.write_defaults(self.gcomm)
        started = time.monotonic()
        first = self.nodes[0]
        first.launch("--wsrep-new-cluster")
        self._wait([first], 1, self.start_timeout)
        for i, nd in enumerate(self.nodes[1:], start=2):
            self._join(nd, self.nodes[:i], lambda nd=nd: nd.launch())
        self.start_seconds = time.monotonic() - started
        return self

    JOIN_TRIES = 3

    def _join(self, nd, members, launch):
        """Starts nd with launch() and waits until members (nd among them)
        are all Synced in one view; again if nd exits meanwhile."""
        for attempt in range(self.JOIN_TRIES):
            launch()
            try:
                self._wait(members, len(members), self.start_timeout)
                return
            except HarnessError:
                if nd.running() or attempt == self.JOIN_TRIES - 1:
                    raise
                time.sleep(1.0)

    def start_node(self, *indices):
        """Starts nodes that were killed or stopped, together, and waits
        until every running node is Synced in one view with them (a node
        that exits meanwhile is started again, up to JOIN_TRIES times).
        Each runs --wsrep-recover first and is started with
        --wsrep-start-position, so that it rejoins by IST.  Nodes killed
        together must come back together: the Primary component they
        left is restored (pc.recovery) once all its members are back."""
        todo = [self.node(i) for i in indices]

        def launch(nd):
            pos = nd.recovered_position()
            if pos:
                nd.launch("--wsrep-start-position=" + pos)
            else:
                nd.launch()
        for nd in todo:
            launch(nd)
        members = [m for m in self.nodes if m.running() or m in todo]
        tries = {nd.index: 1 for nd in todo}
        while True:
            try:
                self._wait(members, len(members), self.start_timeout)
                return todo
            except HarnessError:
                dead = [nd for nd in todo if not nd.running()]
                if not dead or any(tries[nd.index] >= self.JOIN_TRIES for nd in dead):
                    raise
                time.sleep(1.0)
                for nd in dead:
                    tries[nd.index] += 1
                    launch(nd)

    def wait_synced(self, nodes=None, timeout=None):
        nodes = nodes or [nd for nd in self.nodes if nd.running()]
        self._wait(nodes, len(nodes), timeout or self.start_timeout)

    def kill(self, i):
        self.node(i).kill()

    def kill_all(self):
        for nd in self.nodes:
            nd.kill()

    def primary_nodes(self):
        """The running nodes that say they are in a Primary component."""
        return [nd for nd in self.nodes
                if nd.running() and nd.status("wsrep_cluster_status") == "Primary"]


# ------------------------------------------------------------------ fixture

import secrets  # noqa: E402

import harness  # noqa: E402  (the fixture builds on the harness)

DB_USER = "account_reset"


class ClusterFixture(harness.Fixture):
    """harness.Fixture on a 3-node cluster: the option file names the
    service user (the privileges README section 5 lists) and no host, the
    config's db_hosts lists the nodes, and config_for(order) writes a
    config whose db_hosts starts with other nodes.  self.db is node 1 (the
    state helpers read through it); self.cluster has every node."""

    def setup(self, need=None):
        self.check_binaries(*(need or ()))
        self.cluster = Cluster(self.schema).setup()
        self.db = self.cluster.node(1)
        self.db_password = "Db-" + secrets.token_hex(12)
        self.note_secret(self.db_password)
        self.db.sql("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; "
                    "GRANT SELECT, INSERT, UPDATE ON %s.* TO '%s'@'127.0.0.1'; "
                    "GRANT DELETE ON %s.attempt_failures TO '%s'@'127.0.0.1'"
                    % (DB_USER, self.db_password, DATABASE, DB_USER, DATABASE, DB_USER))
        lines = ["[account-reset]", "user=" + DB_USER, "password=" + self.db_password,
                 "database=" + DATABASE, "default-character-set=utf8mb4"]
        harness._write_private(self.option_file, "\n".join(lines) + "\n")
        self.settings["db_hosts"] = ", ".join(self.cluster.hosts)
        self.write_config()
        return self

    def config_for(self, order, name=None, **overrides):
        """A config whose db_hosts lists the nodes in order (1-based)."""
        hosts = ", ".join(self.cluster.node(i).address for i in order)
        return self.write_config(name or "hosts-%s.conf" % "".join(map(str, order)),
                                 db_hosts=hosts, **overrides)

    def synced_value(self, node, query):
        """A value read on node once it has applied every write committed
        anywhere before the read (wsrep_sync_wait)."""
        rows = self.cluster.node(node).sql("SET SESSION wsrep_sync_wait = 1; " + query)
        return rows[0][0] if rows else None

    def bulk_users(self, n, tag):
        """n users (first password record 'x', which no password matches)
        each with one valid code, made in two statements through node 1;
        returns dicts with email and code (noted as a secret)."""
        tag = "%s-%s" % (tag, secrets.token_hex(3))
        users = [{"email": "%s%d@example.test" % (tag, i),
                  "code": secrets.token_urlsafe(24)} for i in range(n)]
        for u in users:
            self.note_secret(u["code"])
        self.db.sql("INSERT INTO users (email, password, created_at) VALUES " + ", ".join(
            "('%s', 'x', UTC_TIMESTAMP(6))" % u["email"] for u in users))
        self.db.sql("INSERT INTO reset_codes (user_id, code_sha256, created_at, expires_at) "
                    "SELECT u.id, v.d, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 HOUR "
                    "FROM users u JOIN (" + " UNION ALL ".join(
                        "SELECT '%s' AS e, '%s' AS d" % (u["email"], harness.sha256_hex(u["code"]))
                        for u in users) + ") v ON v.e = u.email")
        return users

    def reset_state(self, node, email, code):
        """(password record, code used, token rows) of a bulk user, read on
        node once it has caught up."""
        rows = self.cluster.node(node).sql(
            "SET SESSION wsrep_sync_wait = 1; SELECT u.password, "
            "(SELECT used_at IS NOT NULL FROM reset_codes WHERE code_sha256 = '%s'), "
            "(SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id) "
            "FROM users u WHERE u.email = '%s'" % (harness.sha256_hex(code), email))
        r = rows[0]
        return r[0], r[1] == "1", int(r[2])
