#!/usr/bin/env python3
"""test_auth_request.py: a site protected by account-reset's access tokens
with no code of its own, behind the real web servers, as the shipped
examples configure them:

  * nginx (conf/nginx-auth-request.conf.example): auth_request to the
    check location over the responder's Unix socket;
  * Apache (conf/apache-authorizer.conf.example): mod_authnz_fcgi asking
    the responder in the FastCGI Authorizer role over TCP.

Behind each: a protected static directory and a small application (an
HTTP server in this test) that shows the user headers it receives.  Each
is sent a valid token, none, a malformed one, an expired one, one revoked
by a later reset, one revoked by the admin CLI, and, the database
stopped, a valid one: only the valid token gets through, and never with
the database down."""

import http.server
import json
import os
import subprocess
import threading

import base64
import urllib.parse

from harness import (TAP, Fixture, HarnessError, expect, expect_eq, expect_error, expect_token,
                     on_exit, sha256_hex, strong_password)
from tokens import INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH, CHECK_PATH, login, write_clients_file
from webservers import (SRCDIR, WEB_USER, Apache, Nginx, _WebServer, as_root, find_program,
                        free_port, kill_tree, share_with_web_user, standalone_responder,
                        web_user_args)

PAGE = b"the protected page\n"
RS_ID, RS_SECRET = "rs-e2e", "rs-secret-" + "Zq8" * 11
MODULES = "/usr/lib/apache2/modules"


class App(http.server.BaseHTTPRequestHandler):
    """The protected application: answers the user headers it got."""

    def do_GET(self):
        body = json.dumps({k: self.headers.get(k) for k in
                           ("X-User-Id", "X-Scope", "X-Client-Id")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_app():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    on_exit(srv.shutdown)
    return srv.server_address[1]


def render(template, pairs):
    with open(os.path.join(SRCDIR, "conf", template)) as f:
        text = f.read()
    for literal, value in pairs:
        if literal not in text:
            raise HarnessError("%s no longer contains %r" % (template, literal))
        text = text.replace(literal, value)
    return text


class NginxSite(_WebServer):
    name = "nginx"

    def __init__(self, socket_path, docroot, app_port):
        super().__init__("ar-nginx-auth-")
        self.socket_path, self.docroot, self.app_port = socket_path, docroot, app_port
        for d in ("log", "tmp"):
            os.makedirs(os.path.join(self.prefix, d), 0o755, exist_ok=True)

    def render(self, listen):
        text = render("nginx-auth-request.conf.example", [
            ("listen 80;", "listen %s;" % listen),
            ("user www-data;", "user %s;" % WEB_USER),
            ("/run/account-reset/account-reset.sock", self.socket_path),
            ("/run/nginx.pid", self.prefix + "/nginx.pid"),
            ("/var/log/nginx/", self.prefix + "/log/"),
            ("/var/lib/nginx/", self.prefix + "/tmp/"),
            ("/srv/www", self.docroot),
            ("127.0.0.1:8000", "127.0.0.1:%d" % self.app_port)])
        if not as_root():
            text = text.replace("user %s;" % WEB_USER, "")
        path = os.path.join(self.prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def command(self):
        return [find_program("nginx"), "-p", self.prefix + "/", "-c", self.conf,
                "-g", "daemon off;"]


class ApacheSite(_WebServer):
    name = "apache"

    def __init__(self, fcgi_addr, docroot, app_port):
        super().__init__("ar-apache-auth-")
        self.fcgi_addr, self.docroot, self.app_port = fcgi_addr, docroot, app_port
        for d in ("log", "run"):
            os.makedirs(os.path.join(self.prefix, d), 0o755, exist_ok=True)

    def render(self, listen):
        site = render("apache-authorizer.conf.example", [
            ("*:80", listen),
            ("127.0.0.1:9000", self.fcgi_addr),
            ("${APACHE_LOG_DIR}/", self.prefix + "/log/"),
            ("/srv/www", self.docroot),
            ("127.0.0.1:8000", "127.0.0.1:%d" % self.app_port)])
        lines = ['ServerRoot "%s"' % self.prefix, 'DefaultRuntimeDir "%s/run"' % self.prefix,
                 'PidFile "%s/run/httpd.pid"' % self.prefix,
                 'ErrorLog "%s/log/error.log"' % self.prefix, "LogLevel warn",
                 "ServerName localhost", "Listen %s" % listen]
        for m in ("mpm_event", "authz_core", "authn_core", "unixd", "log_config", "headers",
                  "proxy", "proxy_http", "authnz_fcgi", "env", "setenvif"):
            so = os.path.join(MODULES, "mod_%s.so" % m)
            if os.path.exists(so):
                lines.append("<IfModule !%s_module>\n\tLoadModule %s_module %s\n"
                             "</IfModule>" % (m, m, so))
        lines += ["<IfModule unixd_module>", "\tUser %s" % WEB_USER,
                  "\tGroup %s" % WEB_USER, "</IfModule>",
                  'LogFormat "%h %l %u %t \\"%r\\" %>s %b" combined', ""]
        path = os.path.join(self.prefix, "httpd.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n" + site)
        return path

    def command(self):
        return [find_program("apache2"), "-f", self.conf, "-DFOREGROUND"]


def tcp_responder(f):
    """account-reset --listen 127.0.0.1:PORT (mod_authnz_fcgi speaks TCP
    only), workers as the web user; returns "127.0.0.1:PORT"."""
    addr = "127.0.0.1:%d" % free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "ACCOUNT_RESET_CONFIG": f.config_path}
    args = web_user_args() if as_root() else []
    errf = open(os.path.join(f.base, "tcp-responder.stderr"), "ab")
    proc = subprocess.Popen([f.responder, "--listen", addr, "--workers", "2"] + args,
                            stdin=subprocess.DEVNULL, stdout=errf, stderr=errf, env=env)
    on_exit(lambda: kill_tree(proc))
    return addr, proc


def make_docroot(f):
    root = os.path.join(f.base, "www")
    os.makedirs(os.path.join(root, "private"))
    for d in (f.base, root, os.path.join(root, "private")):
        os.chmod(d, 0o755)
    with open(os.path.join(root, "private", "page.txt"), "wb") as out:
        out.write(PAGE)
    os.chmod(os.path.join(root, "private", "page.txt"), 0o644)
    return root


def get(server, path, token=None, header=None, extra=None):
    h = dict(extra or {})
    if header is not None:
        h["Authorization"] = header
    elif token is not None:
        h["Authorization"] = "Bearer " + token
    return server.request("GET", path=path, headers=h)


def expect_through(server, token, uid, f):
    r = get(server, "/private/page.txt", token)
    expect(r.status == 200 and r.body == PAGE, "static: %s" % r.summary())
    r = get(server, "/app/x", token, extra={"X-User-Id": "1"})
    expect_eq(r.status, 200, "app status (%s)" % r.summary())
    expect_eq(json.loads(r.body), {"X-User-Id": str(uid), "X-Scope": "read write",
                                   "X-Client-Id": f.settings["client_id"]},
              "the headers the application got (a client's own X-User-Id replaced)")


def expect_refused(server, token=None, header=None, error="invalid_token"):
    for path in ("/private/page.txt", "/app/x"):
        r = get(server, path, token, header)
        expect(r.status == 401, "%s: want 401; got %s" % (path, r.summary()))
        expect(PAGE not in r.body and b"X-User-Id" not in r.body, "the page leaked")
        www = r.header("www-authenticate") or ""
        expect(www.startswith("Bearer"), "WWW-Authenticate %r" % www)
        if error:
            expect('error="%s"' % error in www, "WWW-Authenticate %r" % www)


def main():
    t = TAP()
    f = t.setup(lambda: Fixture(iterations=1000).setup())
    f.settings["introspection_clients_file"] = write_clients_file(f, {RS_ID: RS_SECRET})
    f.write_config()
    share_with_web_user(f, config=True)
    docroot = make_docroot(f)
    app_port = start_app()
    resp = t.setup(standalone_responder, f, workers=2)
    fcgi_addr, _ = t.setup(tcp_responder, f)
    ng = t.setup(lambda: NginxSite(resp.socket, docroot, app_port).start())
    api_ng = t.setup(lambda: Nginx(resp.socket).start())
    api_ap = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())
    ap = t.setup(lambda: ApacheSite(fcgi_addr, docroot, app_port).start())
    servers = (("nginx auth_request", ng), ("Apache mod_authnz_fcgi", ap))

    for name, s in (("nginx.conf.example", api_ng), ("apache-fcgi.conf.example", api_ap)):
        with t.claim("%s routes the token endpoints: refresh, check, introspection "
                     "(Basic), revocation" % name):
            _, uid0, tok0 = login(f)
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            r = s.request("POST", urllib.parse.urlencode(
                {"grant_type": "refresh_token", "refresh_token": tok0["refresh_token"]}).encode(),
                headers=form, path=TOKEN_PATH)
            new = expect_token(r, f.settings["client_id"], "read write", 3600)
            f.note_secret(new["access_token"])
            f.note_secret(new["refresh_token"])
            r = s.request("GET", path=CHECK_PATH,
                          headers={"Authorization": "Bearer " + new["access_token"]})
            expect(r.status == 200 and r.header("x-user-id") == str(uid0), r.summary())
            auth = "Basic " + base64.b64encode(("%s:%s" % (RS_ID, RS_SECRET)).encode()).decode()
            r = s.request("POST", urllib.parse.urlencode({"token": new["access_token"]}).encode(),
                          headers=dict(form, Authorization=auth), path=INTROSPECT_PATH)
            expect(r.status == 200 and r.json.get("active") is True
                   and r.json.get("sub") == str(uid0), r.summary())
            r = s.request("POST", urllib.parse.urlencode({"token": new["refresh_token"]}).encode(),
                          headers=form, path=REVOKE_PATH)
            expect_eq((r.status, r.json), (200, {}), "revocation")
            r = s.request("GET", path=CHECK_PATH,
                          headers={"Authorization": "Bearer " + new["access_token"]})
            expect_eq(r.status, 401, "the check after the revocation")

    email, uid, tok = t.setup(login, f)
    for name, s in servers:
        with t.claim("%s: a valid token gets the static page, and the application gets "
                     "X-User-Id, X-Scope, X-Client-Id from the check" % name):
            expect_through(s, tok["access_token"], uid, f)

    for name, s in servers:
        with t.claim("%s: no token: 401 with WWW-Authenticate: Bearer" % name):
            expect_refused(s, error=None)

    for name, s in servers:
        with t.claim("%s: a malformed Authorization header: 401 invalid_token" % name):
            expect_refused(s, header="Bearer not a token")
            expect_refused(s, header="Basic dXNlcjpwYXNz")

    with t.claim("nginx: the check location is internal (a client asking it gets 404)"):
        r = get(ng, "/api/v2/account/token/check/", tok["access_token"])
        expect_eq(r.status, 404, "status")

    _, uid2, tok2 = login(f)
    f.db.sql("UPDATE tokens SET access_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
             "WHERE access_sha256 = '%s'" % sha256_hex(tok2["access_token"]))
    for name, s in servers:
        with t.claim("%s: an expired token: 401 invalid_token" % name):
            expect_refused(s, tok2["access_token"])

    code = f.issue_code(email)
    r = f.cgi({"validation_code": code, "password": strong_password()})
    new = r.json["token"]
    for name, s in servers:
        with t.claim("%s: a token revoked by a later reset: 401; the new one passes" % name):
            expect_refused(s, tok["access_token"])
            expect_through(s, new["access_token"], uid, f)

    r = f.admin("revoke-tokens", email)
    for name, s in servers:
        with t.claim("%s: a token revoked by the admin CLI: 401" % name):
            expect_eq(r.returncode, 0, "revoke-tokens (%s)" % r.stderr)
            expect_refused(s, new["access_token"])

    _, uid3, tok3 = login(f)
    for name, s in servers:
        with t.claim("%s: the logs hold no token" % name):
            expect_through(s, tok3["access_token"], uid3, f)
            text = s.logs().encode() + resp.log_text()
            expect(not f.leaks(text), f.leak_report(text))

    f.db.stop()
    for name, s in servers:
        with t.claim("%s: the database down: a valid token is not let through (never 2xx)"
                     % name):
            for path in ("/private/page.txt", "/app/x"):
                r = get(s, path, tok3["access_token"])
                expect(r.status >= 500 and PAGE not in r.body,
                       "%s: %s" % (path, r.summary()))

    t.done()


if __name__ == "__main__":
    main()
