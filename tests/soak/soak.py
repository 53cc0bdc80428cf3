#!/usr/bin/env python3
"""soak.py: the whole stack as deployed, under mixed traffic, for a long
time, while everything around it fails and comes back (issue 22).

    scripts/soak [--minutes N] [--seed S] [--cluster] [--table FILE]
    make soak SOAK_MINUTES=60

It starts MariaDB (or, with --cluster, the 3-node Galera cluster of
tests/lib/galera.py), the responder's own supervisor and workers
(account-reset --listen, workers as www-data), nginx rendered from
nginx.conf.example, account-reset-mailer as a daemon and the SMTP sink
(scripts/mail-sink, STARTTLS and AUTH).  A few client threads send a mix
like real traffic through nginx: recover for known and unknown addresses,
resets with the codes the sink received (valid; wrong; reused; raced by
two clients; refused passwords, which leave the code usable) and health
polls.  Kinds whose endpoint main does not have yet are skipped.

The main thread injects faults on a schedule made from a seed (printed;
--seed replays it), each while the traffic flows: MariaDB SIGKILL and
restart, SIGSTOP for longer than the configured timeouts then SIGCONT
(with --cluster: a node killed and rejoining, quorum lost and regained);
the mailer SIGKILLed while it sends, then restarted (as systemd would);
the sink down, then answering 4xx, then slow; a worker SIGKILLed;
SIGHUP reloads of the responder and the mailer with a changed config; an
nginx reload; the log's file system (a small tmpfs the soak mounts, as
root) full for a while.  After each fault the soak waits for health to
answer 200 again without touching any process.

At the end it accounts for everything against the database, the sink's
mailbox and the clients' own records, one TAP claim per invariant, and
prints one table (requests by kind and answer, faults, mails, seconds of
503 per fault, latency outside faults, RSS and descriptors).  Durations of
the faults scale with the run (the hour uses the issue's: two minutes of
sink down); bounds on time are configured timeouts plus a margin that
AR_TIME_SCALE multiplies (harness.scaled).
"""

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from harness import (TAP, Fixture, HarnessError, expect, find_leaks, make_tempdir,
                     on_exit, scaled, sha256_hex, sql_quote, strong_password,
                     unknown_code, verify_django_record)
from smtpd import CODE_RE, MailSink, Mailer, mail_settings
from webservers import (WEB_USER, Nginx, as_root, descendants, keepalive_template,
                        standalone_responder)

import email as email_pkg
import email.policy

RECOVER = "/api/v2/account/recover/"
RESET = "/api/v2/account/reset/"
HEALTH = "/api/v2/account/health"
TOKEN_CHECK = "/api/v2/account/token/check/"
CLIENT_ID = "soak-client"
USERS = 30
WORKERS = 2
# The timeouts the soak configures (seconds); bounds derive from them.
DB_CONNECT_TIMEOUT, DB_READ_TIMEOUT = 2, 3
SMTP_TIMEOUT = 10
SINK_SLOW = 3.0          # seconds per DATA when the sink is slow (< SMTP_TIMEOUT)
WEAK_PASSWORD = "short1"  # too_short: refused before the code is looked up

# Kinds of request and how often each is picked.
KINDS = [("health", 20), ("recover_known", 10), ("recover_unknown", 8),
         ("reset_valid", 25), ("reset_wrong", 12), ("reset_reused", 5),
         ("reset_refused", 10), ("reset_race", 10), ("token_check", 10)]
# Kinds sent only when their endpoint answers through nginx (the tokens
# issue's); the soak probes each at start.
OPTIONAL = {"token_check": TOKEN_CHECK}
# What each kind may be answered (503 only inside a fault, checked apart).
ALLOWED = {
    "health": {200, 503},
    "recover_known": {202, 503},
    "recover_unknown": {202, 503},
    # 400: another reset of the same account ended the code first.
    "reset_valid": {200, 400, 503},
    "reset_wrong": {400, 503},
    "reset_reused": {400, 503},
    "reset_refused": {400},
    "reset_race": {200, 400, 503},
    # 401: revoked by a later reset of the account (one that ended before
    # the check began must be 401: checked apart).
    "token_check": {200, 401, 503},
}
ENDPOINT = {"health": "health", "recover_known": "recover", "recover_unknown": "recover"}


def log(text):
    sys.stdout.write("# %s %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stdout.flush()


# ------------------------------------------------------------------ records

class Records:
    """The clients' own record of every request, and the codes in hand."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []          # dicts: kind, status, error, t0, t1, ...
        self.pool = collections.deque()  # (code, email) mailed, not yet used
        self.used = []           # codes that won a reset
        self.mails = []          # (file, rcpt list, code)
        self.seen_files = set()
        self.races = []          # [record, record]
        self.tokens = []         # (email, access token, t0, t1) of each 200 reset

    def add(self, rec):
        with self.lock:
            self.items.append(rec)

    def take_code(self):
        with self.lock:
            return self.pool.popleft() if self.pool else None

    def give_back(self, item):
        with self.lock:
            self.pool.append(item)


def request(ng, method, path, payload=None, timeout=40.0, headers=None):
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = dict(headers or {})
    if payload is not None:
        headers["Content-Type"] = "application/json"
    t0 = time.monotonic()
    try:
        r = ng.request(method, body, headers, path=path, timeout=timeout)
        status = r.status
        data = r.json if isinstance(r.json, dict) else {}
    except Exception as e:  # a refused or cut connection is an answer too
        status, data = "conn:%s" % type(e).__name__, {}
    return {"status": status, "error": data.get("error"), "json": data,
            "t0": t0, "t1": time.monotonic()}


class Traffic:
    """Client threads sending the mix through nginx until stopped."""

    def __init__(self, soak, clients, pause, rng_seed):
        self.s = soak
        self.clients = clients
        self.pause = pause
        self.seed = rng_seed
        self.stop = threading.Event()
        self.threads = []

    def start(self):
        for i in range(self.clients):
            t = threading.Thread(target=self.run, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def run(self, i):
        rng = random.Random(self.seed * 1000 + i)
        names = [k for k, _ in KINDS if k not in self.s.skipped]
        weights = [w for k, w in KINDS if k not in self.s.skipped]
        while not self.stop.is_set():
            kind = rng.choices(names, weights)[0]
            try:
                getattr(self, kind)(rng)
            except Exception as e:  # a bug of the soak itself: shown, not hidden
                self.s.recs.add({"kind": kind, "status": "soak:%r" % e, "error": None,
                                 "t0": time.monotonic(), "t1": time.monotonic()})
            self.stop.wait(self.pause * rng.uniform(0.5, 1.5))

    def note(self, kind, rec, **extra):
        rec.update(kind=kind, **extra)
        rec.pop("json", None)
        self.s.recs.add(rec)
        return rec

    def health(self, rng):
        self.note("health", request(self.s.ng, "GET", HEALTH))

    def recover_known(self, rng):
        email = rng.choice(self.s.users)
        self.note("recover_known", request(self.s.ng, "POST", RECOVER, {"email": email}),
                  email=email)

    def recover_unknown(self, rng):
        email = "nobody-%d@unknown.example.test" % rng.randrange(10 ** 9)
        self.note("recover_unknown", request(self.s.ng, "POST", RECOVER, {"email": email}),
                  email=email)

    def _reset(self, code, password):
        self.s.f.note_secret(password)
        r = request(self.s.ng, "POST", RESET, {"validation_code": code, "password": password})
        tok = r["json"].get("token") if isinstance(r["json"].get("token"), dict) else None
        if tok:
            for k in ("access_token", "refresh_token"):
                self.s.f.note_secret(tok.get(k))
            r["access"] = tok.get("access_token")
        return r

    def reset_valid(self, rng):
        item = self.s.recs.take_code()
        if item is None:
            return self.reset_wrong(rng)
        code, email = item
        pw = strong_password("Soak")
        r = self.note("reset_valid", self._reset(code, pw), code=code, email=email,
                      password=pw)
        if r["status"] == 200:
            with self.s.recs.lock:
                self.s.recs.used.append(code)
                self.s.recs.tokens.append((email, r.get("access"), r["t0"], r["t1"]))
        elif r["status"] == 503:
            self.s.recs.give_back(item)  # may have committed: the next try tells

    def reset_wrong(self, rng):
        self.note("reset_wrong", self._reset(unknown_code(), strong_password("Wrong")))

    def reset_reused(self, rng):
        with self.s.recs.lock:
            code = rng.choice(self.s.recs.used) if self.s.recs.used else None
        if code is None:
            return self.reset_wrong(rng)
        self.note("reset_reused", self._reset(code, strong_password("Reuse")), code=code)

    def reset_refused(self, rng):
        item = self.s.recs.take_code()
        code = item[0] if item else unknown_code()
        self.note("reset_refused", self._reset(code, WEAK_PASSWORD), code=code)
        if item:
            self.s.recs.give_back(item)  # a refused password leaves the code usable

    def token_check(self, rng):
        """The web server's check of an access token a reset handed out:
        live, or revoked by a later reset of the account."""
        with self.s.recs.lock:
            toks = list(self.s.recs.tokens)
        if not toks:
            return self.health(rng)
        email, access, _t0, t1 = rng.choice(toks)
        r = request(self.s.ng, "GET", TOKEN_CHECK,
                    headers={"Authorization": "Bearer %s" % access})
        # Revoked for sure when a later reset of the account answered 200
        # before this check began.
        r["revoked"] = any(e == email and a != access and b0 > t1 and b1 < r["t0"]
                           for e, a, b0, b1 in toks)
        self.note("token_check", r, email=email)

    def reset_race(self, rng):
        item = self.s.recs.take_code()
        if item is None:
            return self.health(rng)
        code, email = item
        pws = [strong_password("RaceA"), strong_password("RaceB")]
        out = [None, None]
        barrier = threading.Barrier(2)

        def one(j):
            barrier.wait(10)
            out[j] = self._reset(code, pws[j])
        ts = [threading.Thread(target=one, args=(j,)) for j in (0, 1)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        pair = []
        for j in (0, 1):
            if out[j] is None:
                continue
            pair.append(self.note("reset_race", out[j], code=code, email=email,
                                  password=pws[j]))
            if out[j]["status"] == 200:
                with self.s.recs.lock:
                    self.s.recs.used.append(code)
                    self.s.recs.tokens.append((email, out[j].get("access"), out[j]["t0"],
                                               out[j]["t1"]))
        with self.s.recs.lock:
            self.s.recs.races.append(pair)


# ------------------------------------------------------------------ sampling

def proc_stat(pid):
    """(RSS in kB, open descriptors) of a process, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        return rss, len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, StopIteration, ValueError):
        return None


class Sampler(threading.Thread):
    """RSS and descriptors of every long-lived process, every period s."""

    def __init__(self, soak, period):
        super().__init__(daemon=True)
        self.s = soak
        self.period = period
        self.stop = threading.Event()
        self.samples = collections.defaultdict(list)  # (role, pid) -> [(t, rss, fds)]

    def targets(self):
        s = self.s
        out = []
        if s.resp.alive():
            sup = s.resp.procs[0].pid
            out.append(("supervisor", sup))
            out += [("worker", p) for p in s.resp.workers()]
        if s.mailer.alive():
            out.append(("mailer", s.mailer.proc.pid))
        if s.ng.running():
            out.append(("nginx master", s.ng.proc.pid))
            out += [("nginx worker", p) for p in descendants(s.ng.proc.pid)]
        for name, pid in s.db_pids():
            out.append((name, pid))
        return out

    def sample(self):
        now = time.monotonic()
        for key in self.targets():
            st = proc_stat(key[1])
            if st:
                self.samples[key].append((now,) + st)

    def run(self):
        while not self.stop.wait(self.period):
            try:
                self.sample()
            except Exception:  # a process that just went away
                pass


def mail_reader(soak, stop):
    """Reads each new mail in the sink: its recipient and code go to the
    pool of codes in hand."""
    recs = soak.recs
    while not stop.wait(0.3):
        for sink_dir in soak.sink_dirs():
            try:
                names = sorted(n for n in os.listdir(sink_dir) if n.endswith(".eml"))
            except OSError:
                continue
            for n in names:
                path = os.path.join(sink_dir, n)
                if path in recs.seen_files:
                    continue
                try:
                    with open(path, "rb") as fh:
                        raw = fh.read()
                    with open(path[:-4] + ".json") as fh:
                        env = json.load(fh)
                except (OSError, ValueError):
                    continue
                msg = email_pkg.message_from_bytes(raw, policy=email.policy.default)
                try:
                    body = msg.get_body(preferencelist=("plain",)).get_content()
                except (AttributeError, KeyError, LookupError):
                    body = ""
                m = CODE_RE.search(body)
                code = m.group(1) if m else None
                if code:
                    soak.f.note_secret(code)
                with recs.lock:
                    recs.seen_files.add(path)
                    recs.mails.append((path, env.get("rcpt_tos", []), code))
                    if code and len(env.get("rcpt_tos", [])) == 1:
                        recs.pool.append((code, env["rcpt_tos"][0]))


# ------------------------------------------------------------------ faults

class Fault:
    def __init__(self, name, allow_503, allowance):
        self.name = name
        self.allow_503 = allow_503
        self.allowance = allowance   # seconds after the end 503 may last
        self.start = self.end = None
        self.back = None             # seconds from the end until health 200
        self.ok = True
        self.note = ""

    def window(self):
        return self.start, self.end + self.allowance


class Soak:
    def __init__(self, args):
        self.args = args
        self.minutes = args.minutes
        self.total = self.minutes * 60.0
        # Faults are as long as the issue says in the hour, shorter in a
        # short run (never shorter than the timeouts they must outlast).
        self.scale = min(1.0, self.minutes / 60.0)
        self.rng = random.Random(args.seed)
        self.recs = Records()
        self.skipped = {}
        self.faults = []
        self.config_flip = 0
        self.old_sinks = []

    # -- the stack

    def settings(self):
        # Every request comes from 127.0.0.1: no per-client, per-network
        # or per-account cap may refuse one (the soak counts mails, not caps).
        return dict(client_id=CLIENT_ID, recover_limit=0, recover_account_interval=0,
                    recover_account_daily_limit=1000, recover_network_limit=100000000,
                    recover_account_daily_ceiling=10000, attempt_batch=None,
                    db_connect_timeout=DB_CONNECT_TIMEOUT, db_read_timeout=DB_READ_TIMEOUT,
                    db_write_timeout=DB_READ_TIMEOUT, retry_after=1)

    def setup(self):
        if self.args.cluster:
            from galera import ClusterFixture
            self.f = ClusterFixture(iterations=1000, **self.settings())
        else:
            self.f = Fixture(iterations=1000, **self.settings())
        f = self.f
        self.sink = MailSink(f)
        f.settings.update(mail_settings(
            self.sink, smtp_url="smtp://localhost:%d" % self.sink.port,
            smtp_timeout=SMTP_TIMEOUT, mailer_backoff=2, mailer_max_attempts=40,
            mailer_poll_interval=1))
        self.logfs = None
        if as_root():
            self.logfs = os.path.join(f.base, "logfs")
            os.mkdir(self.logfs, 0o755)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs",
                            self.logfs], check=True)
            on_exit(self.unmount)
            f.settings["log_file"] = os.path.join(self.logfs, "account-reset.log")
        f.setup()
        self.sink.start()
        if as_root():
            os.chmod(self.sink.dir, 0o711)
            os.chmod(self.sink.cert, 0o644)
        self.resp = standalone_responder(f, workers=WORKERS)
        template = None
        if self.args.nginx_keepalive:
            template = keepalive_template(f.base, self.args.nginx_keepalive)
        self.ng = Nginx(self.resp.socket, template=template).start()
        self.mailer_args = ["--user", WEB_USER, "--group", WEB_USER] if as_root() else None
        self.mailer = Mailer(f, args=self.mailer_args).start()
        self.mailers = [self.mailer]
        self.skipped = {}
        for kind, path in OPTIONAL.items():
            r = request(self.ng, "GET", path)
            if r["status"] == 404:
                self.skipped[kind] = "%s answers 404 through nginx" % path
        self.users = []
        self.old_passwords = {}
        for i in range(USERS):
            email, pw = f.create_user(f.new_email("soak"))
            self.users.append(email)
            self.old_passwords[email] = pw
            f.insert_token(email)  # a login's token: the first reset must revoke it

    def unmount(self):
        subprocess.run(["umount", "-l", self.logfs], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def sink_dirs(self):
        return [self.sink.maildir]

    def db_pids(self):
        if self.args.cluster:
            return [("mariadbd node%d" % nd.index, nd.pid) for nd in self.f.cluster.nodes
                    if nd.running() and nd.pid]
        return [("mariadbd", self.f.db.pid)] if self.f.db.pid else []

    def healthy(self):
        r = request(self.ng, "GET", HEALTH, timeout=10)
        return r["status"] == 200

    def wait_back(self, fault, timeout):
        """Health 200 through nginx, every worker and the mailer alive,
        with no process touched: the seconds it took (None: not back)."""
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            if (self.healthy() and self.resp.alive() and len(self.resp.workers()) == WORKERS
                    and self.mailer.alive()):
                return time.monotonic() - fault.end
            time.sleep(0.25)
        return None

    # -- the faults

    def d(self, hour_seconds, least):
        """A fault's duration: hour_seconds in the hour, scaled, at least least."""
        return max(least, hour_seconds * self.scale)

    def fault_db_kill(self, fault):
        self.f.db.kill()
        time.sleep(2)
        self.f.db.start()

    def fault_db_stop(self, fault):
        self.f.db.freeze()
        time.sleep(DB_CONNECT_TIMEOUT + DB_READ_TIMEOUT + 2)
        self.f.db.thaw()

    def fault_node_kill(self, fault):
        c = self.f.cluster
        i = self.rng.choice([1, 2, 3])
        fault.note = "node %d" % i
        c.kill(i)
        time.sleep(self.d(30, 5))
        c.start_node(i)

    def fault_quorum_loss(self, fault):
        c = self.f.cluster
        keep = self.rng.choice([1, 2, 3])
        gone = [i for i in (1, 2, 3) if i != keep]
        fault.note = "nodes %s killed" % gone
        for i in gone:
            c.kill(i)
        time.sleep(self.d(30, 5))
        c.start_node(*gone)

    def fault_mailer_kill(self, fault):
        """SIGKILL while a message is in flight (a row leased and not yet
        recorded), then a new mailer, as systemd's Restart= would."""
        deadline = time.monotonic() + scaled(20)
        inflight = False
        while time.monotonic() < deadline:
            n = self.f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE state = 'queued' "
                                    "AND lease_token IS NOT NULL")
            if n and int(n) > 0:
                inflight = True
                break
            time.sleep(0.02)
        fault.note = "mid-send" if inflight else "idle (no send caught)"
        self.mailer.kill()
        time.sleep(1)
        self.mailer = Mailer(self.f, args=self.mailer_args).start()
        self.mailers.append(self.mailer)

    def fault_sink_down(self, fault):
        """Down, then 4xx, then slow, then well (two minutes, one, one in the hour)."""
        self.sink.stop()
        time.sleep(self.d(120, 4))
        self.sink.restart(reject=451)
        time.sleep(self.d(60, 3))
        self.sink.restart(reject=None, data_delay=SINK_SLOW)
        time.sleep(self.d(60, 3 * SINK_SLOW))
        self.sink.restart(data_delay=0.0)

    def fault_worker_kill(self, fault):
        ws = self.resp.workers()
        if ws:
            os.kill(self.rng.choice(ws), signal.SIGKILL)
        time.sleep(1)

    def flip_config(self):
        self.config_flip += 1
        odd = self.config_flip % 2
        self.f.settings.update(retry_after=2 if odd else 1,
                               mail_from="noreply%s@example.test" % ("-b" if odd else ""))
        self.f.write_config()

    def fault_responder_hup(self, fault):
        before = set(self.resp.workers())
        self.flip_config()
        os.kill(self.resp.procs[0].pid, signal.SIGHUP)
        ok = time.monotonic() + scaled(15)
        while time.monotonic() < ok and set(self.resp.workers()) & before:
            time.sleep(0.1)
        fault.note = "workers replaced" if not set(self.resp.workers()) & before else \
            "workers NOT replaced"
        fault.ok = not (set(self.resp.workers()) & before)

    def fault_mailer_hup(self, fault):
        self.flip_config()
        self.mailer.signal(signal.SIGHUP)
        time.sleep(1)

    def fault_nginx_reload(self, fault):
        os.kill(self.ng.proc.pid, signal.SIGHUP)
        time.sleep(1)

    def fault_log_full(self, fault):
        if not self.logfs:
            fault.note = "skipped: not root (no tmpfs)"
            return
        filler = os.path.join(self.logfs, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            chunk = 1 << 20
            while chunk:  # to the last byte: big writes, then ever smaller
                try:
                    os.write(fd, b"\0" * chunk)
                except OSError:
                    chunk //= 2
        finally:
            os.close(fd)
        size_before = os.path.getsize(self.f.settings["log_file"])
        time.sleep(self.d(60, 4))
        os.unlink(filler)
        fault.note = "log grew %d bytes while full" % (
            os.path.getsize(self.f.settings["log_file"]) - size_before)

    def fault_kinds(self):
        db = (["node_kill", "quorum_loss"] if self.args.cluster else ["db_kill", "db_stop"])
        return db + ["mailer_kill", "sink_down", "worker_kill", "responder_hup",
                     "mailer_hup", "nginx_reload", "log_full"]

    def allowance(self, kind):
        """(503 allowed?, seconds after the fault 503 may last)."""
        db = DB_CONNECT_TIMEOUT + DB_READ_TIMEOUT + scaled(10)
        return {"db_kill": (True, db), "db_stop": (True, db),
                "node_kill": (True, db), "quorum_loss": (True, db + scaled(10)),
                "worker_kill": (True, scaled(3))}.get(kind, (False, 0.0))

    def schedule(self):
        """The seeded schedule: passes over every kind, shuffled, with gaps."""
        kinds = self.fault_kinds()
        plan, t = [], 0.08 * self.total
        gap = max(5.0, 60.0 * self.scale)
        end = self.total * 0.9
        while True:
            order = kinds[:]
            self.rng.shuffle(order)
            for k in order:
                plan.append((t, k))
                t += gap + self.rng.uniform(0, gap)
            if t + gap * len(kinds) > end:
                break
        return plan

    def run_faults(self, t_start, plan, stop_at):
        for at, kind in plan:
            while time.monotonic() - t_start < at:
                time.sleep(0.2)
            if time.monotonic() > stop_at:
                break
            allow, allowance = self.allowance(kind)
            fault = Fault(kind, allow, allowance)
            fault.start = time.monotonic()
            log("fault %s starts at +%.0f s" % (kind, fault.start - t_start))
            try:
                getattr(self, "fault_" + kind)(fault)
            except Exception as e:
                fault.ok = False
                fault.note = "injection failed: %r" % e
            fault.end = time.monotonic()
            self.faults.append(fault)
            fault.back = self.wait_back(fault, allowance + DB_READ_TIMEOUT + 60)
            log("fault %s ended after %.1f s; back after %s s %s" % (
                kind, fault.end - fault.start,
                "%.1f" % fault.back if fault.back is not None else "NEVER", fault.note))


# ------------------------------------------------------------------ accounting

def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def in_window(rec, windows):
    return any(rec["t1"] >= a and rec["t0"] <= b for a, b in windows)


def account(t, s, sampler, t_start, t_end):
    recs = s.recs.items
    f = s.f
    rows_out = {}

    with t.claim("traffic flowed: every kind was answered, and every kind of fault "
                 "was injected"):
        kinds = collections.Counter(r["kind"] for r in recs)
        missing = [k for k, _ in KINDS if kinds[k] == 0 and k not in s.skipped]
        expect(not missing, "kinds never sent: %s" % missing)
        done = {fl.name for fl in s.faults}
        expect(set(s.fault_kinds()) <= done, "faults never injected: %s"
               % sorted(set(s.fault_kinds()) - done))
        failed = ["%s: %s" % (fl.name, fl.note) for fl in s.faults if not fl.ok]
        expect(not failed, "faults that could not be injected: %s" % failed)

    with t.claim("no 500 and no answer outside what each kind is documented to get"):
        bad = [r for r in recs if r["status"] not in ALLOWED[r["kind"]]]
        expect(not bad, "%d unexpected answers, e.g. %s" % (
            len(bad), ["%s %s %s" % (r["kind"], r["status"], r["error"]) for r in bad[:8]]))

    windows_503 = [fl.window() for fl in s.faults if fl.allow_503]
    with t.claim("503 only inside a database or worker fault, and for at most its "
                 "configured timeouts plus a margin after it"):
        stray = [r for r in recs if r["status"] == 503 and not in_window(r, windows_503)]
        expect(not stray, "%d stray 503s, e.g. at +%s s (%s)" % (
            len(stray), ["%.1f" % (r["t0"] - t_start) for r in stray[:8]],
            ", ".join(sorted({r["kind"] for r in stray}))))

    with t.claim("every process came back serving after every fault, without help "
                 "(health 200, all workers, the mailer)"):
        notback = ["%s at +%.0f" % (fl.name, fl.start - t_start)
                   for fl in s.faults if fl.back is None]
        expect(not notback, "not back: %s" % notback)

    # The queue must settle: the mailer works off what is due.
    def settled():
        n = f.db.sql_value("SELECT COUNT(*) FROM mail_queue WHERE state = 'queued'")
        return n is not None and int(n) == 0
    deadline = time.monotonic() + scaled(600)
    while time.monotonic() < deadline and not settled():
        time.sleep(1)
    time.sleep(2)  # the reader picks up the last mails
    # Recover requests and, after each reset, its "password changed"
    # notice (kind 'changed', queued in the reset's own transaction).
    allq = f.db.sql("SELECT q.id, q.state, COALESCE(q.email, ''), COALESCE(c.code_sha256, ''), "
                    "q.kind FROM mail_queue q LEFT JOIN reset_codes c ON c.id = q.code_id")
    qrows = [r for r in allq if r[4] == "recover"]
    notice_rows = [r for r in allq if r[4] == "changed"]
    known = set(s.users)
    mails = list(s.recs.mails)
    mailed_codes = {sha256_hex(c) for _, _, c in mails if c}
    by_rcpt = collections.Counter(r[0] for _, r, c in mails if r and c)
    notices_by_rcpt = collections.Counter(r[0] for _, r, c in mails if r and not c)
    states = collections.Counter(r[1] for r in qrows)
    n_dupes = 0
    with t.claim("every 202 for a known account led to exactly one mail, or to a "
                 "counted at-least-once duplicate; none lost"):
        problems = []
        for em in s.users:
            n202 = sum(1 for r in recs if r["kind"] == "recover_known"
                       and r.get("email") == em and r["status"] == 202)
            n503 = sum(1 for r in recs if r["kind"] == "recover_known"
                       and r.get("email") == em and r["status"] == 503)
            rows = [r for r in qrows if r[2].lower() == em.lower()]
            if not n202 <= len(rows) <= n202 + n503:
                problems.append("%s: %d x 202, %d x 503, %d queue rows"
                                % (em, n202, n503, len(rows)))
            unsent = [r for r in rows if r[1] != "sent"]
            if unsent:
                problems.append("%s: rows not sent: %s" % (em, [(r[0], r[1]) for r in unsent]))
            lost = [r for r in rows if r[1] == "sent" and r[3] not in mailed_codes]
            if lost:
                problems.append("%s: sent rows whose code no mail carries: %s"
                                % (em, [r[0] for r in lost]))
            extra = by_rcpt[em] - len([r for r in rows if r[1] == "sent"])
            if extra < 0:
                problems.append("%s: fewer mails than sent rows" % em)
            n_dupes += max(0, extra)
        expect(not problems, "; ".join(problems[:6]))
    with t.claim("every 200 reset led to exactly one 'password changed' notice, "
                 "or a counted at-least-once duplicate; none lost"):
        problems = []
        for em in s.users:
            n200 = sum(1 for r in recs if r["kind"] in ("reset_valid", "reset_race")
                       and r.get("email") == em and r["status"] == 200)
            n503 = sum(1 for r in recs if r["kind"] in ("reset_valid", "reset_race")
                       and r.get("email") == em and r["status"] == 503)
            rows = [r for r in notice_rows if r[2].lower() == em.lower()]
            if not n200 <= len(rows) <= n200 + n503:
                problems.append("%s: %d x 200, %d x 503, %d notices queued"
                                % (em, n200, n503, len(rows)))
            unsent = [r for r in rows if r[1] != "sent"]
            if unsent:
                problems.append("%s: notices not sent: %s" % (em, [(r[0], r[1]) for r in unsent]))
            extra = notices_by_rcpt[em] - len([r for r in rows if r[1] == "sent"])
            if extra < 0:
                problems.append("%s: fewer notice mails than sent notice rows" % em)
            n_dupes += max(0, extra)
        expect(not problems, "; ".join(problems[:6]))
    kills = sum(1 for fl in s.faults if fl.name == "mailer_kill")
    with t.claim("duplicates (%d) only from the documented window: at most one per "
                 "mailer SIGKILL (%d)" % (n_dupes, kills)):
        expect(n_dupes <= kills, "%d duplicates, %d kills" % (n_dupes, kills))
    with t.claim("no mail for an unknown address; their requests ended 'unknown'"):
        strangers = [r for r in list(by_rcpt) + list(notices_by_rcpt) if r not in known]
        expect(not strangers, "mails to %s" % strangers[:5])
        wrong = [r for r in qrows if r[2] and r[2] not in known and r[1] != "unknown"]
        expect(not wrong, "rows for unknown addresses in states %s"
               % collections.Counter(r[1] for r in wrong))

    wins = [r for r in recs if r["kind"] in ("reset_valid", "reset_race") and r["status"] == 200]
    with t.claim("every 200 reset: its code consumed, its token stored, the password "
                 "stored is one of the account's last winners"):
        problems = []
        used = dict((d, u) for d, u in f.db.sql("SELECT code_sha256, used_at FROM reset_codes"))
        stored = {row[0] for row in f.db.sql("SELECT access_sha256 FROM tokens")}
        for r in wins:
            if used.get(sha256_hex(r["code"])) is None:
                problems.append("code of a 200 not consumed")
            if not r.get("access") or sha256_hex(r["access"]) not in stored:
                problems.append("no token row for a 200")
        by_user = collections.defaultdict(list)
        for r in wins:
            by_user[r["email"]].append(r)
        for em, rs in by_user.items():
            latest_start = max(r["t0"] for r in rs)
            cands = [r["password"] for r in rs if r["t1"] >= latest_start]
            # A 503 may have committed (README: a COMMIT cut off is 503).
            cands += [r["password"] for r in recs if r.get("email") == em
                      and r["status"] == 503 and r.get("password")
                      and r["t1"] >= latest_start]
            record = f.password_record(em)
            if not any(verify_django_record(record, pw) for pw in cands):
                problems.append("%s: stored password is none of the last winners" % em)
        for em in set(s.users) - set(by_user):
            maybe = [r for r in recs if r.get("email") == em and r["status"] == 503
                     and r.get("password")]
            if not maybe and not verify_django_record(f.password_record(em),
                                                      s.old_passwords[em]):
                problems.append("%s: password changed without a 200" % em)
        expect(not problems, "; ".join(problems[:6]))

    with t.claim("older tokens revoked: every account has at most one open token, "
                 "its newest"):
        bad = f.db.sql("SELECT t.user_id, t.id FROM tokens t WHERE t.revoked_at IS NULL "
                       "AND t.id < (SELECT MAX(id) FROM tokens t2 WHERE t2.user_id = t.user_id)")
        expect(not bad, "open older tokens: %s" % bad[:5])

    with t.claim("no half-done change, row by row: each reset's token has its code "
                 "ended and its password change in the same instant"):
        no_code = f.db.sql(
            "SELECT t.id FROM tokens t WHERE t.client_id = %s AND NOT EXISTS ("
            "SELECT 1 FROM reset_codes c WHERE c.user_id = t.user_id AND c.used_at "
            "BETWEEN t.created_at - INTERVAL 2 SECOND AND t.created_at + INTERVAL 2 SECOND)"
            % sql_quote(CLIENT_ID))
        no_pw = f.db.sql(
            "SELECT u.id FROM users u JOIN (SELECT user_id, MAX(created_at) m FROM tokens "
            "WHERE client_id = %s GROUP BY user_id) t ON t.user_id = u.id WHERE "
            "u.password_changed_at IS NULL OR ABS(TIMESTAMPDIFF(MICROSECOND, "
            "u.password_changed_at, t.m)) > 2000000" % sql_quote(CLIENT_ID))
        n_tok = int(f.db.sql_value("SELECT COUNT(*) FROM tokens WHERE client_id = %s"
                                   % sql_quote(CLIENT_ID)))
        n503 = sum(1 for r in recs if r["kind"] in ("reset_valid", "reset_race")
                   and r["status"] == 503)
        expect(not no_code, "tokens with no code ended: %s" % no_code[:5])
        expect(not no_pw, "accounts whose password change and newest token differ: %s"
               % no_pw[:5])
        expect(len(wins) <= n_tok <= len(wins) + n503,
               "%d tokens for %d wins and %d 503s" % (n_tok, len(wins), n503))

    def ended_by_other(r):
        """A code's 400 is explained when another reset of its account
        won (or may have: a 503) and so ended every open code of it."""
        return any(o["kind"] in ("reset_valid", "reset_race") and o["status"] in (200, 503)
                   and o.get("email") == r.get("email")
                   and (o.get("code") != r.get("code") or o["status"] == 503)
                   and o["t0"] < r["t1"] for o in recs)

    with t.claim("a mailed code refused (400) only after another reset of its "
                 "account ended it"):
        lost = [r for r in recs if r["kind"] == "reset_valid" and r["status"] == 400
                and not ended_by_other(r)]
        expect(not lost, "%d valid codes refused unexplained" % len(lost))

    if "token_check" not in s.skipped:
        with t.claim("a token revoked by a later reset never passes the check (401)"):
            passed = [r for r in recs if r["kind"] == "token_check" and r.get("revoked")
                      and r["status"] == 200]
            expect(not passed, "%d revoked tokens passed" % len(passed))

    races = list(s.recs.races)
    with t.claim("exactly one winner for every raced code (never two)"):
        two = [p for p in races if sum(1 for r in p if r["status"] == 200) > 1]
        expect(not two, "%d codes won twice" % len(two))
        none = [p for p in races if len(p) == 2 and all(r["status"] == 400 for r in p)]
        # Both lost only if another reset of the account ended the code.
        unexplained = [p for p in none if not ended_by_other(p[0])]
        expect(not unexplained, "%d raced codes nobody won" % len(unexplained))

    # RSS and descriptors
    flat_rows, leaks = [], []
    min_span = min(600.0, 0.4 * (t_end - t_start))
    for (role, pid), ss in sorted(sampler.samples.items()):
        if len(ss) < 4:
            continue
        span = ss[-1][0] - ss[0][0]
        k = max(1, len(ss) // 5)
        # After a warm-up fifth: the first fifth against the last.
        early = ss[k:2 * k] or ss[:1]
        late = ss[-k:]
        # Descriptors come and go with the requests in flight (a client
        # and an upstream connection each): a leak raises the floor.  RSS:
        # the median, so that one busy moment does not decide.
        rss0 = sorted(x[1] for x in early)[len(early) // 2]
        rss1 = sorted(x[1] for x in late)[len(late) // 2]
        fd0, fd1 = min(x[2] for x in early), min(x[2] for x in late)
        judged = span >= min_span and not role.startswith("mariadbd")
        flat_rows.append((role, pid, span, ss[0][1], ss[-1][1], ss[0][2], ss[-1][2], judged))
        if judged and (rss1 - rss0 > max(2048, rss0 // 10) or fd1 - fd0 > 3):
            leaks.append("%s %d: RSS %d -> %d kB, fds %d -> %d" % (role, pid, rss0, rss1,
                                                                  fd0, fd1))
    rows_out["flat"] = flat_rows
    with t.claim("memory and open descriptors of every long-lived process flat "
                 "(median RSS within max(2 MB, 10%), fewest descriptors within 3, "
                 "the last fifth against the second)"):
        expect(any(r[7] for r in flat_rows), "no process lived long enough to judge")
        expect(not leaks, "; ".join(leaks))

    with t.claim("no secret in any log (responder, mailer, nginx, sink, MariaDB)"):
        texts = []
        paths = [s.resp.stderr_path] + [m.stderr_path for m in s.mailers] + \
            s.ng.log_files() + [s.sink.log_path]
        if s.logfs:
            paths.append(f.settings["log_file"])
        for p in paths:
            try:
                with open(p, "rb") as fh:
                    texts.append((p, fh.read()))
            except OSError:
                pass
        leaked = []
        for p, text in texts:
            found = find_leaks(text, f.secrets)
            if found:
                leaked.append("%s: %d secrets" % (p, len(found)))
        expect(len(f.secrets) > 10, "too few secrets noted (%d)" % len(f.secrets))
        expect(not leaked, "; ".join(leaked))

    rows_out.update(states=states, mails=len(mails), dupes=n_dupes, windows=windows_503)
    return rows_out


def table(s, out, t_start, t_end, load):
    recs = s.recs.items
    lines = []
    p = lines.append
    p("soak: %.0f minutes, seed %s%s%s, %d clients, %d workers; load average %s"
      % ((t_end - t_start) / 60.0, s.args.seed, ", cluster" if s.args.cluster else "",
         ", nginx keep-alive %d" % s.args.nginx_keepalive if s.args.nginx_keepalive else "",
         s.args.clients, WORKERS, load))
    p("")
    p("requests by kind and answer")
    by = collections.defaultdict(collections.Counter)
    for r in recs:
        by[r["kind"]][str(r["status"])] += 1
    statuses = sorted({st for c in by.values() for st in c})
    p("  %-16s %s %8s" % ("kind", " ".join("%7s" % st for st in statuses), "total"))
    for k, _ in KINDS:
        c = by[k]
        p("  %-16s %s %8d%s" % (k, " ".join("%7d" % c[st] for st in statuses),
                                sum(c.values()),
                                "  (skipped: %s)" % s.skipped[k] if k in s.skipped else ""))
    p("  %-16s %s %8d" % ("all", " ".join("%7d" % sum(by[k][st] for k in by)
                                           for st in statuses), len(recs)))
    p("")
    p("faults injected and survived (503 s: first to last 503 it explains)")
    p("  %-14s %5s %9s %9s %7s  %s" % ("fault", "times", "longest", "back<=s", "503 s", "notes"))
    for kind in s.fault_kinds():
        fs = [fl for fl in s.faults if fl.name == kind]
        if not fs:
            p("  %-14s %5d" % (kind, 0))
            continue
        secs = []
        for fl in fs:
            a, b = fl.window()
            hits = [r for r in recs if r["status"] == 503 and r["t1"] >= a and r["t0"] <= b]
            secs.append((max(r["t1"] for r in hits) - min(r["t0"] for r in hits))
                        if hits else 0.0)
        backs = [fl.back for fl in fs]
        p("  %-14s %5d %8.1fs %9s %7.1f  %s" % (
            kind, len(fs), max(fl.end - fl.start for fl in fs),
            "never" if None in backs else "%.1f" % max(backs), max(secs),
            "; ".join(sorted({fl.note for fl in fs if fl.note}))[:60]))
    p("")
    o = s.outcome
    p("mails: %d delivered, %d duplicated (at-least-once), %d lost; queue rows by state: %s"
      % (o["mails"], o["dupes"], o.get("lost", 0),
         ", ".join("%s %d" % kv for kv in sorted(o["states"].items()))))
    p("")
    p("latency outside faults (ms)")
    allw = [(fl.start, fl.end + max(fl.allowance, 5)) for fl in s.faults]
    for ep, kinds in (("health", ["health"]), ("recover", ["recover_known", "recover_unknown"]),
                      ("reset", ["reset_valid", "reset_wrong", "reset_reused",
                                 "reset_refused", "reset_race"])):
        lat = [(r["t1"] - r["t0"]) * 1000 for r in recs if r["kind"] in kinds
               and isinstance(r["status"], int) and r["status"] < 500
               and not in_window(r, allw)]
        p50, p99 = pct(lat, 50), pct(lat, 99)
        p("  %-8s n=%-7d p50 %7s  p99 %7s" % (ep, len(lat),
                                              "%.1f" % p50 if p50 is not None else "-",
                                              "%.1f" % p99 if p99 is not None else "-"))
    p("")
    p("RSS (kB) and descriptors, first and last sample (judged: lived >= 40% of the run)")
    for role, pid, span, r0, r1, f0, f1, judged in o["flat"]:
        if span < 60 and not judged:
            continue
        p("  %-16s %7d %6.0fs  RSS %7d -> %7d  fds %3d -> %3d %s"
          % (role, pid, span, r0, r1, f0, f1, "" if judged else "(not judged)"))
    lines = [l.rstrip() for l in lines]
    text = "\n".join(lines) + "\n"
    sys.stdout.write("".join("# " + l + "\n" for l in lines))
    if out:
        with open(out, "w") as fh:
            fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float,
                    default=float(os.environ.get("SOAK_MINUTES") or 60))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED") or 0) or None)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--pause", type=float, default=0.25,
                    help="seconds a client waits between requests (about)")
    ap.add_argument("--cluster", action="store_true",
                    default=os.environ.get("SOAK_CLUSTER") == "1")
    ap.add_argument("--table", default=os.environ.get("SOAK_TABLE") or None)
    ap.add_argument("--nginx-keepalive", type=int, metavar="N",
                    default=int(os.environ.get("SOAK_NGINX_KEEPALIVE") or 0),
                    help="nginx with fastcgi_keep_conn and an upstream pool of N "
                    "(webservers.keepalive_template) instead of the example as shipped")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 10 ** 6)

    t = TAP()
    s = Soak(args)
    t.setup(s.setup)
    for kind, why in s.skipped.items():
        log("kind %s skipped: %s" % (kind, why))
    plan = s.schedule()
    log("seed %d (SOAK_SEED=%d replays this schedule): %d faults over %.0f minutes"
        % (args.seed, args.seed, len(plan), args.minutes))
    for at, kind in plan:
        log("  +%5.0f s  %s" % (at, kind))
    sampler = Sampler(s, max(2.0, s.total / 360.0))
    stop_reader = threading.Event()
    reader = threading.Thread(target=mail_reader, args=(s, stop_reader), daemon=True)
    reader.start()
    sampler.sample()
    sampler.start()
    t_start = time.monotonic()
    traffic = Traffic(s, args.clients, args.pause, args.seed).start()
    s.run_faults(t_start, plan, t_start + s.total * 0.95)
    while time.monotonic() - t_start < s.total:
        time.sleep(0.5)
    traffic.end()
    t_end = time.monotonic()
    sampler.sample()
    sampler.stop.set()
    log("traffic stopped after %.0f s, %d requests; accounting" % (
        t_end - t_start, len(s.recs.items)))
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        load = "?"
    s.outcome = account(t, s, sampler, t_start, t_end)
    stop_reader.set()
    table(s, args.table, t_start, t_end, load)
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
