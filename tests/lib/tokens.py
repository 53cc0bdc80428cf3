"""tokens.py: what the token tests share: a login (a reset that hands out
a token pair), and the requests of the token endpoints as CGI (or through
a FastCGI responder) with the CGI variables a web server would pass."""

import hashlib
import os
import urllib.parse

from harness import HarnessError, expect, expect_eq, strong_password

TOKEN_PATH = "/api/v2/account/token/"
CHECK_PATH = "/api/v2/account/token/check/"
INTROSPECT_PATH = "/api/v2/account/token/introspect/"
REVOKE_PATH = "/api/v2/account/token/revoke/"
FORM = "application/x-www-form-urlencoded"


def path_env(path, **extra):
    env = {"DOCUMENT_URI": path, "REQUEST_URI": path, "SCRIPT_NAME": path}
    env.update(extra)
    return env


def login(f, responder=None):
    """A new user logged in by a reset: (email, user id, token dict)."""
    email, _, code = f.user_and_code()
    payload = {"validation_code": code, "password": strong_password()}
    r = responder.request(payload) if responder is not None else f.cgi(payload)
    if r.status != 200 or not isinstance(r.json, dict) or "token" not in r.json:
        raise HarnessError("the login reset failed: %s" % r.summary())
    return email, f.user_id(email), r.json["token"]


def send(f, path, body=b"", method="POST", content_type=FORM, env=None, responder=None,
         addr="127.0.0.1"):
    e = path_env(path, REMOTE_ADDR=addr)
    e.update(env or {})
    if responder is not None:
        return responder.request(body=body, method=method, content_type=content_type, env=e)
    return f.cgi(body=body, method=method, content_type=content_type, env=e)


def form(f, **fields):
    """A form body; every value is noted as a secret (tokens, client
    secrets), but for the well-known parameter values."""
    for k, v in fields.items():
        if k not in ("grant_type", "token_type_hint", "client_id"):
            f.note_secret(v)
    return urllib.parse.urlencode(fields).encode()


def check(f, access_token=None, header=None, responder=None):
    """The auth check with "Authorization: Bearer <access_token>" (or the
    header given; neither: no Authorization at all)."""
    env = {}
    if header is None and access_token is not None:
        header = "Bearer " + access_token
    if header is not None:
        env["HTTP_AUTHORIZATION"] = header
    return send(f, CHECK_PATH, method="GET", content_type=None, env=env, responder=responder)


def refresh(f, refresh_token, responder=None, addr="127.0.0.1", **extra):
    return send(f, TOKEN_PATH, form(f, grant_type="refresh_token",
                                    refresh_token=refresh_token, **extra),
                responder=responder, addr=addr)


def expect_authorized(r, user_id, client_id, scope):
    """The check's 200: the grant in X- headers, no body, no-store."""
    expect(r.status == 200, "want 200; got %s" % r.summary())
    expect_eq(r.header("x-user-id"), str(user_id), "X-User-Id")
    expect_eq(r.header("x-client-id"), client_id, "X-Client-Id")
    expect_eq(r.header("x-scope"), scope, "X-Scope")
    expect_eq(r.header("cache-control"), "no-store", "Cache-Control")
    expect_eq(r.body, b"", "body")


def expect_unauthorized(r, error="invalid_token"):
    """401 with the RFC 6750 challenge: error="invalid_token" for a bad
    token, none for a missing one (RFC 6750 3.1)."""
    expect(r.status == 401, "want 401; got %s" % r.summary())
    www = r.header("www-authenticate") or ""
    expect(www.startswith("Bearer "), "WWW-Authenticate is %r" % www)
    if error is None:
        expect("error=" not in www, "a missing token names no error: %r" % www)
    else:
        expect('error="%s"' % error in www, "WWW-Authenticate is %r" % www)


def write_clients_file(f, clients):
    """introspection_clients_file with {id: secret}; returns its path."""
    path = os.path.join(f.etc, "introspection-clients")
    lines = ["# id  sha256(secret)"]
    for cid, secret in clients.items():
        f.note_secret(secret)
        lines.append("%s %s" % (cid, hashlib.sha256(secret.encode()).hexdigest()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path
