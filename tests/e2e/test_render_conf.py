#!/usr/bin/env python3
"""test_render_conf.py: scripts/render-conf, which the end-to-end tests and
the quick start use to turn the shipped examples into working configs.

Each example is rendered for a private prefix, port and socket and checked
by the server itself (nginx -t, apache2 -t); the rendered file keeps no
host path of the example outside comments; the tool refuses an example
that lost one of its documented strings, and bad options, with exit 2.
No server is left running: -t only parses.
"""

import os
import re
import subprocess
import sys

from harness import TAP, expect, expect_eq, find_program, make_tempdir
from webservers import RENDER_CONF, SRCDIR

NGINX_EXAMPLE = os.path.join(SRCDIR, "nginx.conf.example")
APACHE_FCGI = os.path.join(SRCDIR, "conf", "apache-fcgi.conf.example")
APACHE_CGI = os.path.join(SRCDIR, "conf", "apache-cgi.conf.example")
HOST_PATHS = ("/run/account-reset/", "/run/nginx.pid", "/var/log/nginx", "/var/lib/nginx",
              "${APACHE_LOG_DIR}", "/usr/local/libexec/account-reset",
              "/etc/account-reset/account-reset.conf")


def render(*args):
    p = subprocess.run([sys.executable, RENDER_CONF] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8",
                                                                            "replace")


def directives(text):
    """The text without comment lines (what the server reads)."""
    return "\n".join(l for l in text.splitlines() if not l.strip().startswith("#"))


def server_check(cmd):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    t = TAP()
    d = make_tempdir("ar-render-")
    os.chmod(d, 0o755)
    sock = os.path.join(d, "responder.sock")

    nginx_prefix = os.path.join(d, "nginx")
    out = os.path.join(d, "nginx.conf")
    with t.claim("nginx.conf.example rendered for a prefix, 127.0.0.1:18080 and a "
                 "socket passes nginx -t"):
        rc, _, err = render("--prefix", nginx_prefix, "--listen", "127.0.0.1:18080",
                            "--socket", sock, "--mkdirs", NGINX_EXAMPLE, out)
        expect_eq(rc, 0, "render-conf exit status (%s)" % err)
        rc, text = server_check([find_program("nginx"), "-t", "-q", "-p",
                                 nginx_prefix + "/", "-c", out])
        expect_eq(rc, 0, "nginx -t: %s" % text)

    with t.claim("the rendered nginx.conf keeps no host path of the example, listens "
                 "where it was told and passes to the given socket"):
        with open(out) as f:
            text = directives(f.read())
        left = [p for p in HOST_PATHS if p in text]
        expect(not left, "left in the directives: %r" % left)
        expect("listen 127.0.0.1:18080;" in text, "no listen line")
        expect("fastcgi_pass unix:%s;" % sock in text, "no fastcgi_pass to the socket")
        expect(re.search(r"rate=10r/s;", text) and "burst=20 " in text,
               "the example's limit changed without --rate/--burst")

    with t.claim("--rate and --burst change only the limit_req values"):
        rc, text, err = render("--rate", "1000", "--burst", "200", NGINX_EXAMPLE)
        expect_eq(rc, 0, "exit status (%s)" % err)
        with open(NGINX_EXAMPLE) as f:
            orig = f.read()
        # Every zone alike: the per-client (10r/s, burst 20) and the
        # per-network (50r/s, burst 100) ones.
        want = (orig.replace("rate=10r/s", "rate=1000r/s").replace("rate=50r/s", "rate=1000r/s")
                .replace("burst=20", "burst=200").replace("burst=100", "burst=200"))
        expect(text == want, "other changes than rate and burst")

    for kind, example, extra in (
            ("fcgi", APACHE_FCGI, ["--socket", sock]),
            ("cgi", APACHE_CGI, ["--cgi-bin", os.path.join(d, "cgi-bin"),
                                 "--config", os.path.join(d, "account-reset.conf")])):
        prefix = os.path.join(d, "apache-" + kind)
        out = os.path.join(d, "httpd-%s.conf" % kind)
        with t.claim("conf/apache-%s.conf.example rendered --standalone passes "
                     "apache2 -t and keeps no host path of the example" % kind):
            rc, _, err = render("--standalone", "--prefix", prefix, "--listen",
                                "127.0.0.1:18081", "--mkdirs", *(extra + [example, out]))
            expect_eq(rc, 0, "render-conf exit status (%s)" % err)
            rc, text = server_check([find_program("apache2"), "-t", "-f", out])
            expect_eq(rc, 0, "apache2 -t: %s" % text)
            with open(out) as f:
                text = directives(f.read())
            left = [p for p in HOST_PATHS if p in text]
            expect(not left, "left in the directives: %r" % left)

    with t.claim("an example that lost one of its documented strings is refused "
                 "(exit 2, naming the string)"):
        broken = os.path.join(d, "nginx.conf.example")
        with open(NGINX_EXAMPLE) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace("/run/account-reset/account-reset.sock", "/run/x.sock"))
        rc, _, err = render("--socket", sock, broken)
        expect_eq(rc, 2, "exit status")
        expect("/run/account-reset/account-reset.sock" in err, "message %r" % err)

    with t.claim("bad options are refused with exit 2: a listen address without a "
                 "port, a relative socket path, --standalone for nginx"):
        for args in (["--listen", "127.0.0.1", NGINX_EXAMPLE],
                     ["--socket", "relative.sock", NGINX_EXAMPLE],
                     ["--standalone", "--prefix", d, "--listen", "127.0.0.1:1",
                      NGINX_EXAMPLE]):
            rc, out_text, err = render(*args)
            expect(rc == 2 and err.startswith("render-conf: ") and not out_text,
                   "%r: exit %d, stderr %r" % (args, rc, err))

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
