"""postfix.py: a private instance of Debian's Postfix for the tests.

Postfix(conf_dir) writes a main.cf and master.cf of its own in a
temporary directory (queue, data and log there too, no chroot), with one
smtpd on a free 127.0.0.1 port, and starts it with `postfix -c DIR
start` (root only: Postfix's master drops to the postfix user itself).
The system's Postfix, if any, is never touched.

  * Mail it accepts goes to the discard transport, which logs each
    delivery ("to=<ADDR>, ... status=sent") in the instance's maillog_file.
  * reject: {address: "451 4.3.0 text"} answers RCPT for that address
    with that reply (an access table).
  * tls=(cert, key): smtpd offers STARTTLS with that certificate.
  * make_ca(dir) and make_signed_cert(dir, ca) make a throwaway CA and a
    certificate for 127.0.0.1 signed by it, with the openssl CLI.

stop() (also run at exit) is `postfix -c DIR stop`, which ends only this
instance's master.
"""

import os
import shutil
import subprocess
import time

from harness import HarnessError, find_program, make_tempdir, on_exit, scaled, wait_for
from smtpd import free_port

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
tlsmgr    unix  - - n 1000? 1 tlsmgr
"""


def available():
    """None when a private Postfix can run here, else why not."""
    if os.geteuid() != 0:
        return "Postfix's master must start as root"
    if shutil.which("postfix") is None and not os.path.exists("/usr/sbin/postfix"):
        return "postfix not installed (Debian: postfix; scripts/install-deps test)"
    return None


def _openssl(*args):
    r = subprocess.run([find_program("openssl")] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise HarnessError("openssl %s failed: %s" % (args[0], r.stdout.decode(errors="replace")))


def make_ca(directory):
    """A throwaway CA: (cert, key)."""
    cert, key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca-key.pem")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "2",
             "-subj", "/CN=account-reset test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(key, 0o600)
    return cert, key


def make_signed_cert(directory, ca):
    """A certificate for 127.0.0.1 and localhost signed by ca: (cert, key)."""
    cert, key = os.path.join(directory, "relay.pem"), os.path.join(directory, "relay-key.pem")
    csr, ext = os.path.join(directory, "relay.csr"), os.path.join(directory, "relay.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
             "-out", cert, "-days", "2", "-extfile", ext)
    os.chmod(key, 0o600)
    return cert, key


class Postfix:
    def __init__(self, reject=None, tls=None):
        self.base = make_tempdir("ar-postfix-")
        os.chmod(self.base, 0o755)
        self.conf = os.path.join(self.base, "conf")
        self.queue = os.path.join(self.base, "queue")
        self.data = os.path.join(self.base, "data")
        self.maillog = os.path.join(self.base, "maillog")
        for d in (self.conf, self.queue, self.data):
            os.mkdir(d, 0o755)
        shutil.chown(self.data, "postfix")
        self.port = free_port()
        self.reject = dict(reject or {})
        self.tls = tls
        self.running = False
        on_exit(self.stop)

    def _write(self):
        access = os.path.join(self.conf, "access")
        with open(access, "w") as f:
            for addr, reply in self.reject.items():
                f.write("%s %s\n" % (addr, reply))
        main = [
            "compatibility_level = 3.6",
            "queue_directory = " + self.queue,
            "data_directory = " + self.data,
            "maillog_file = " + self.maillog,
            "maillog_file_prefixes = " + self.base,
            "myhostname = relay.test",
            "mydestination =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "alias_maps =",
            "alias_database =",
            "smtpd_relay_restrictions = permit_mynetworks, reject",
            "smtpd_recipient_restrictions = check_recipient_access texthash:%s, permit" % access,
            "default_transport = discard:delivered by the test relay",
            "smtputf8_enable = yes",
        ]
        if self.tls:
            main += ["smtpd_tls_cert_file = " + self.tls[0],
                     "smtpd_tls_key_file = " + self.tls[1],
                     "smtpd_tls_security_level = may",
                     "smtpd_tls_loglevel = 1"]
        else:
            main += ["smtpd_tls_security_level = none"]
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))

    def _postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.conf] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=scaled(60))

    def _answers(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                return s.recv(64).startswith(b"220")
        except OSError:
            return False

    def start(self, **changes):
        """Starts (with changes to reject/tls, on the same port); returns
        once the smtpd answers with its 220 greeting."""
        self.stop()
        for k, v in changes.items():
            setattr(self, k, v)
        self._write()
        r = self._postfix("start")
        if r.returncode != 0:
            raise HarnessError("postfix start failed: %s\n%s"
                               % (r.stdout.decode(errors="replace"), self.log_text()[-2000:]))
        self.running = True
        if not wait_for(self._answers, timeout=30):
            raise HarnessError("postfix did not answer on 127.0.0.1:%d:\n%s"
                               % (self.port, self.log_text()[-2000:]))
        return self

    def stop(self):
        if not self.running:
            return
        self.running = False
        self._postfix("stop")
        # master is gone once its pid file is (or its port is closed).
        wait_for(lambda: not self._answers(), timeout=30)
        time.sleep(0.2)

    def log_text(self):
        try:
            with open(self.maillog, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def delivered(self, address):
        """How many messages to address the relay accepted and delivered."""
        return self.log_text().count("to=<%s>, relay=none" % address)
