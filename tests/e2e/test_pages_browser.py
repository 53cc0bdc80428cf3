#!/usr/bin/env python3
"""test_pages_browser.py: the pages (README, "The pages") in a real browser
against the real stack: MariaDB, the responder's own workers
(account-reset --listen, as www-data), nginx rendered from
nginx.conf.example serving the pages from a copy of www/, the mailer as a
daemon and a real SMTP server (scripts/mail-sink).

Debian's chromium is driven by playwright-core (npm, tests/browser/): each
scenario of tests/browser/pages.cjs runs in its own browser and prints its
checks; this file runs them in order, gives each what it needs (a mail's
link, a code, site.js's afterResetUrl), checks the database, and turns
every check into a TAP claim.  Screenshots of each state go to
tests/browser/screenshots/ in the build directory.

The scenarios: ask for a mail on the forgot page -> open the link from
the delivered mail -> a weak password's violations -> a good one ->
success, the token in sessionStorage and the new password stored; a used
and an expired code; a pasted code; afterResetUrl; the German pages; the
429 path; 503 and a network failure; no JavaScript; 320 px and 200% zoom.
Keyboard alone, axe-core, no console error and no CSP violation along
the way.
"""

import json
import os

from harness import (TAP, FastCGIResponder, Fixture, expect, expect_eq, make_tempdir,
                     scaled, strong_password)
from browser import SHOTS, Browser
from smtpd import CODE_RE, MailSink, Mailer, mail_settings
from webservers import (WEB_USER, Apache, Nginx, as_root, share_with_web_user,
                        standalone_responder, web_user_args)

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    t = TAP()
    # recover_limit: the scenarios post to recover from one address many
    # times; the limit itself is not what they test.
    f = Fixture(iterations=1000, recover_account_interval=0, attempt_limit=5,
                recover_limit=1000, recover_account_daily_limit=100)
    sink = MailSink(f)
    f.settings.update(mail_settings(sink, smtp_url="smtp://localhost:%d" % sink.port))
    t.setup(f.setup)
    t.setup(sink.start)
    if as_root():
        os.chmod(sink.dir, 0o711)
        os.chmod(sink.cert, 0o644)
    resp = t.setup(standalone_responder, f, workers=2)
    ng = t.setup(lambda: Nginx(resp.socket).start())
    base = "http://127.0.0.1:%d" % ng.port
    # The mail links to the reset page this nginx serves (reset_url).
    f.settings["reset_url"] = base + "/account/reset/"
    t.setup(f.write_config)
    t.setup(share_with_web_user, f)
    mailer = Mailer(f, args=(["--user", WEB_USER, "--group", WEB_USER]
                             if as_root() else []))
    t.setup(mailer.start)
    b = t.setup(Browser, t, f.note_secret)
    site_js = os.path.join(ng.www, "site.js")
    with open(site_js) as fh:
        site_default = fh.read()

    def set_after(url):
        with open(site_js, "w") as fh:
            fh.write(site_default.replace('afterResetUrl: ""',
                                          'afterResetUrl: %s' % json.dumps(url)))

    def mail_link(count):
        """The link of the count-th delivered mail, its code noted."""
        msgs = sink.wait_for(count, timeout=scaled(60))
        expect(len(msgs) >= count, "no mail %d arrived: %s" % (count, mailer.log_text()))
        body = msgs[count - 1][2].get_body(preferencelist=("plain",)).get_content()
        link = next((w for w in body.split() if CODE_RE.search(w)), None)
        expect(link is not None, "no link in the mail: %r" % body[:300])
        f.note_secret(CODE_RE.search(link).group(1))
        return link

    email, old = t.setup(f.create_user)

    # -- the whole flow: forgot page -> mail -> reset page -> success
    b.run("forgot", base=base, email=email)
    link = None
    with t.claim("the forgot page's request brings a mail whose link opens this "
                 "nginx's reset page with the code in the fragment"):
        link = mail_link(1)
        expect(link.startswith(base + "/account/reset/#code="), link)
    good = strong_password("Browser")
    if link:
        data = b.run("reset", link=link, weak="aaaaaaaa", good=good,
                     expect=["too_few_character_classes", "repetitive"])
        with t.claim("the new password typed in the browser is stored (check-password), "
                     "and the token in sessionStorage is the user's, in the database"):
            expect_eq(f.check_password(email, good), 0, "check-password")
            tok = data.get("token") or {}
            row = f.token_row(tok.get("access_token", "x"))
            expect(row is not None and row["user_id"] == f.user_id(email),
                   "token row %r" % (row,))
            expect_eq(tok.get("token_type"), "Bearer", "token_type")
        b.run("used", link=link, good=strong_password("Again"), what="used")

    # -- an expired code from the link
    email2, _ = t.setup(f.create_user)
    code2 = t.setup(f.issue_code, email2)
    t.setup(f.expire_code, code2)
    b.run("used", link=base + "/account/reset/#code=" + code2,
          good=strong_password("Late"), what="expired")

    # -- a pasted code, with and without afterResetUrl
    code3 = t.setup(f.issue_code, email2)
    good3 = strong_password("Pasted")
    b.run("pasted", base=base, code=code3, good=good3)
    with t.claim("the pasted code's password is stored"):
        expect_eq(f.check_password(email2, good3), 0, "check-password")
    set_after("/account/forgot/#after-reset")
    code4 = t.setup(f.issue_code, email2)
    good4 = strong_password("After")
    data = b.run("pasted", base=base, code=code4, good=good4, after="/account/forgot/#after-reset")
    with t.claim("the token handed to afterResetUrl is valid in the database and "
                 "never in the address"):
        tok = data.get("token") or {}
        row = f.token_row(tok.get("access_token", "x"))
        expect(row is not None and row["user_id"] == f.user_id(email2), "token %r" % (row,))
        expect(tok.get("access_token", "x") not in data.get("url", ""), "token in the URL")
    set_after("https://elsewhere.example/take")
    code5 = t.setup(f.issue_code, email2)
    b.run("pasted", base=base, code=code5, good=strong_password("Other"),
          note="an afterResetUrl of another origin is not followed")
    t.setup(lambda: set_after(""))

    # -- German: the forgot page in a German browser, its mail's link
    b.run("forgot", base=base, email=email, locale="de-DE", lang="de", tag="-de",
          label="German browser")
    with t.claim("a request from the German page brings a German mail whose link "
                 "carries lang=de"):
        link_de = mail_link(2)
        expect("&lang=de" in link_de, link_de)
        msg = sink.messages()[1][2]
        expect("Passwort" in msg.get_body(preferencelist=("plain",)).get_content(),
               "not the German template")
    b.run("german", link=link_de)

    # -- a cut link, no JavaScript, narrow screens
    b.run("cut", base=base)
    b.run("nojs", base=base)
    b.run("narrow", base=base)

    # -- the same forgot page through both Apache examples
    ap = t.setup(lambda: Apache("fcgi", socket_path=resp.socket).start())
    b.run("forgot", base="http://127.0.0.1:%d" % ap.port, email=email,
          tag="-apache-fcgi", label="Apache mod_proxy_fcgi")
    ap.stop()
    ap = t.setup(lambda: Apache("cgi", config=f.config_path).start())
    b.run("forgot", base="http://127.0.0.1:%d" % ap.port, email=email,
          tag="-apache-cgi", label="Apache mod_cgid")
    ap.stop()

    # -- another origin: a front end whose pages call this API from the
    # browser.  The API: a second responder with cors_origins naming the
    # front end, behind its own nginx; the front end: an nginx serving the
    # pages, its CSP's connect-src naming the API, its site.js pointing
    # there.  http://localhost:PORT of the same front end is an origin not
    # on the list.
    resp2 = FastCGIResponder(f, children=2, mode="listen",
                             args=web_user_args() + ["--socket-group", WEB_USER])
    os.chmod(resp2.dir, 0o711)
    api = t.setup(lambda: Nginx(resp2.socket).start())
    api_origin = "http://127.0.0.1:%d" % api.port
    tmpl_dir = make_tempdir("ar-front-")
    tmpl = os.path.join(tmpl_dir, "nginx.conf.example")
    with open(os.path.join(SRCDIR, "nginx.conf.example")) as fh:
        text = fh.read()
    with open(tmpl, "w") as fh:
        fh.write(text.replace("connect-src 'self'", "connect-src 'self' " + api_origin))
    front = t.setup(lambda: Nginx(resp.socket, template=tmpl).start())
    with open(os.path.join(front.www, "site.js"), "w") as fh:
        fh.write(site_default.replace('api: "/api/v2/account/"',
                                      'api: "%s/api/v2/account/"' % api_origin))
    resp2.config = t.setup(f.write_config, "cors.conf",
                           cors_origins="http://127.0.0.1:%d" % front.port)
    t.setup(resp2.start)
    b.run("cors", front="http://127.0.0.1:%d" % front.port,
          other="http://localhost:%d" % front.port, email=email)

    # -- nginx's own limit (limit_req at 1 request a minute, burst 1, so
    # that the third try is refused however slow the machine): 429 on the
    # forgot page, with nginx's Retry-After: 1
    slow_tmpl = os.path.join(tmpl_dir, "nginx-slow.conf.example")
    with open(slow_tmpl, "w") as fh:
        fh.write(text.replace("rate=10r/s", "rate=1r/m"))
    slow = t.setup(lambda: Nginx(resp.socket, rate=None, burst=1, template=slow_tmpl).start())
    b.run("forgot429", base="http://127.0.0.1:%d" % slow.port, tries=10)
    slow.stop()

    # -- the attempt limit (attempt_limit = 5): 429 with its wait
    b.run("limit", base=base, good=strong_password("Limit"), tries=8)
    t.setup(f.admin, "clear-attempts", "127.0.0.1")

    # -- the service down: nginx answers 503 for the responder
    t.setup(resp.stop)
    b.run("down", base=base, email=email)

    with t.claim("screenshots of each state are written under the build directory"):
        names = sorted(os.listdir(SHOTS)) if os.path.isdir(SHOTS) else []
        for want in ("forgot.png", "forgot-error.png", "forgot-sent.png", "reset.png",
                     "reset-violations.png", "reset-done.png", "reset-used-code.png",
                     "reset-paste.png", "reset-de.png", "reset-429.png",
                     "forgot-nojs.png", "reset-320px.png"):
            expect(want in names, "%s missing from %s: %s" % (want, SHOTS, names))
    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
