"""webhook_receiver.py: a real HTTP server on loopback, in a thread of the
test, that receives account-reset's webhooks and verifies their Standard
Webhooks signatures with its own code (hmac, base64: nothing shared with
the C side).

    r = Receiver(secret="whsec_...").start()
    r.mode = "ok" | "fail" (answers r.fail_status) | "hang" (never answers)
    r.url, r.deliveries (each: id, timestamp, signature, body, valid), r.stop()

A delivery whose signature does not verify is answered 401 and kept with
valid False; one whose timestamp is more than 5 minutes off too."""

import base64
import hashlib
import hmac
import http.server
import json
import secrets
import socket
import threading
import time


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def expected_signatures(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), timestamp.encode(), body),
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret, headers, body):
    """True when one of the signatures (space separated) is ours."""
    msg_id = headers.get("webhook-id") or ""
    ts = headers.get("webhook-timestamp") or ""
    sigs = (headers.get("webhook-signature") or "").split()
    if not msg_id or not ts.isdigit() or abs(int(ts) - time.time()) > 300:
        return False
    want = expected_signatures(secret, msg_id, ts, body)
    return any(hmac.compare_digest(s, want) for s in sigs)


class Receiver:
    def __init__(self, secret, port=None, tls=None):
        """tls: (cert, key) to serve HTTPS."""
        self.secret = secret
        self.tls = tls
        self.port = port or _free_port()
        self.mode = "ok"
        self.fail_status = 500
        self.hang_seconds = 30.0
        self.deliveries = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d/hooks/account-reset" % ("https" if self.tls else "http",
                                                         self.port)

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                d = {"id": self.headers.get("webhook-id"),
                     "timestamp": self.headers.get("webhook-timestamp"),
                     "signature": self.headers.get("webhook-signature"),
                     "content_type": self.headers.get("Content-Type"),
                     "path": self.path, "body": body,
                     "valid": verify(receiver.secret, self.headers, body),
                     "mode": receiver.mode, "at": time.monotonic()}
                try:
                    d["json"] = json.loads(body)
                except ValueError:
                    d["json"] = None
                with receiver.lock:
                    receiver.deliveries.append(d)
                if receiver.mode == "hang":
                    time.sleep(receiver.hang_seconds)
                    return
                status = 204 if d["valid"] else 401
                if receiver.mode == "fail":
                    status = receiver.fail_status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def got(self):
        with self.lock:
            return list(self.deliveries)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
