#!/usr/bin/env python3
"""test_mail_html.py: every kind of mail (the reset mail, the notice to an
unknown address, the "password changed" notice) in every shipped locale
(en, de), as account-reset-mailer sends it to the SMTP sink: parsed with
Python's email package and its HTML part rendered by a real browser
(Debian's chromium, headless).

Claims, for each of the six mails: the MIME form (multipart/alternative:
text/plain then text/html, UTF-8, quoted-printable, CRLF lines of at most
998 octets, the headers); the locale's subject; the link and the code in
both parts of the reset mail, neither in the notices; no script and
nothing remote in the HTML (so nothing is fetched when it is opened);
rendered at 320 px in dark mode, nothing is wider than the window.  The
screenshots (320 px dark, 600 px light) are kept in the run's directory;
with AR_MAIL_SCREENSHOTS=DIR they are copied to DIR (docs/mail)."""

import os
import re
import shutil
import struct
import subprocess
import zlib

from harness import TAP, Fixture, expect, expect_eq, strong_password
from smtpd import (MailSink, Mailer, code_of, html_of, mail_form_problems, mail_settings,
                   text_of)

RECOVER = "/api/v2/account/recover/"
RENV = {"DOCUMENT_URI": RECOVER, "REQUEST_URI": RECOVER, "SCRIPT_NAME": RECOVER}
SUBJECTS = {
    ("recover", "en"): "Reset your password",
    ("recover", "de"): "Passwort zur\u00fccksetzen",
    ("unknown", "en"): "Password reset requested",
    ("unknown", "de"): "Zur\u00fccksetzen eines Passworts angefragt",
    ("changed", "en"): "Your password was changed",
    ("changed", "de"): "Ihr Passwort wurde ge\u00e4ndert",
}
REMOTE = re.compile(r"<script|<link|@import|<iframe|<object|<embed|"
                    r"(src|srcset)\s*=\s*[\"']?\s*https?:|url\(\s*[\"']?https?:", re.I)
# A 2x2 px mark at the top left: green when the page is no wider than the
# window, red when it overflows.
MARK = ("<script>(function(){var ok=document.documentElement.scrollWidth<="
        "window.innerWidth;var d=document.createElement('div');d.style.cssText="
        "'position:fixed;left:0;top:0;width:2px;height:2px;z-index:9;background:'+"
        "(ok?'#00ff00':'#ff0000');document.body.appendChild(d);})();</script>")
_n = [0]


def first_pixel(path):
    """(r, g, b) of the top left pixel of an 8-bit RGB(A) PNG (row 0's
    first pixel is stored as is whatever the row's filter)."""
    with open(path, "rb") as f:
        data = f.read()
    expect(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %s" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    width, _h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    expect(depth == 8 and ctype in (2, 6), "PNG depth %d type %d" % (depth, ctype))
    raw = zlib.decompress(idat)
    return tuple(raw[1:4]), width


def chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    raise AssertionError("no chromium (scripts/install-deps test installs it)")


def screenshot(f, html, width, dark, name):
    """Renders html (a str) at width px; returns the PNG's path."""
    _n[0] += 1
    page = os.path.join(f.base, "mail-%02d.html" % _n[0])
    with open(page, "w", encoding="utf-8") as fo:
        fo.write(html.replace("</body>", MARK + "</body>"))
    png = os.path.join(f.base, name)
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--user-data-dir=" +
           os.path.join(f.base, "chromium-profile"),
           "--window-size=%d,%d" % (width, 1100), "--screenshot=" + png,
           "file://" + page]
    if dark:
        cmd.insert(2, "--force-dark-mode")
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=180, env=dict(os.environ, HOME=f.base))
    expect(r.returncode == 0 and os.path.exists(png),
           "chromium: %s" % r.stdout.decode("utf-8", "replace")[-600:])
    return png


def main():
    t = TAP()
    f = Fixture(iterations=1000)
    sink = MailSink(f)
    f.settings.update(mail_settings(sink, recover_account_interval=0,
                                    recover_account_daily_limit=100,
                                    notify_unknown_recipients="on",
                                    support_url="https://help.example.test/",
                                    forgot_url="https://app.example.test/forgot"))
    t.setup(f.setup)
    t.setup(sink.start)
    mailer = Mailer(f)
    mails = {}

    def recover(email, locale, remote):
        r = f.cgi({"email": email, "locale": locale},
                  env=dict(RENV, REMOTE_ADDR=remote))
        expect_eq(r.status, 202, "recover")
        n = len(sink.files())
        expect_eq(mailer.run().returncode, 0, "mailer")
        msgs = sink.messages()
        expect_eq(len(msgs), n + 1, "messages")
        return msgs[-1]

    with t.claim("the mailer sends all six: recover, unknown-recipient notice and "
                 "password-changed notice, each in en and de"):
        for i, lang in enumerate(("en", "de")):
            email, _ = f.create_user()
            mails[("recover", lang)] = recover(email, lang, "10.7.0.%d" % (i + 1))
            code = code_of(f, mails[("recover", lang)][2])
            r = f.cgi({"validation_code": code, "password": strong_password("Html")},
                      env={"REMOTE_ADDR": "203.0.113.%d" % (i + 1)})
            expect_eq(r.status, 200, "reset")
            n = len(sink.files())
            mailer.run()
            expect_eq(len(sink.files()), n + 1, "the notice")
            mails[("changed", lang)] = sink.messages()[-1]
            mails[("unknown", lang)] = recover("nobody-%s@example.test" % lang, lang,
                                               "10.7.1.%d" % (i + 1))
        expect_eq(len(mails), 6, "mails")

    for (kind, lang), (_env, raw, msg) in sorted(mails.items()):
        with t.claim("%s/%s: multipart/alternative text then HTML, UTF-8 "
                     "quoted-printable, CRLF lines <= 998 octets, headers, subject"
                     % (kind, lang)):
            bad = mail_form_problems(msg, raw)
            expect(not bad, "; ".join(bad))
            expect_eq(str(msg["Subject"]), SUBJECTS[(kind, lang)], "subject")

        with t.claim("%s/%s: %s; no script and nothing remote in the HTML"
                     % (kind, lang, "the link and the code in both parts"
                        if kind == "recover" else "no code and no link with one")):
            text, html = text_of(msg), html_of(msg)
            expect(not REMOTE.search(html), "remote or active content: %r"
                   % REMOTE.search(html).group(0) if REMOTE.search(html) else "")
            expect('<html lang="%s">' % lang in html, "lang")
            if kind == "recover":
                code = code_of(f, msg)
                link = "https://app.example.test/reset#code=" + code
                expect(link in text and code in text, "text part")
                # (the link may go on with "&lang=..." for the pages,
                # escaped as &amp; in the attribute)
                expect('href="%s' % link in html and ">%s<" % code in html, "HTML part")
            else:
                expect("#code=" not in text + html, "a code link in a notice")
            if kind == "changed":
                expect(re.search(r"203\.0\.113\.\d", html), "the network in the HTML")

        with t.claim("%s/%s: chromium renders the HTML at 320 px (dark mode) with "
                     "nothing wider than the window, and at 600 px (light)"
                     % (kind, lang)):
            html = html_of(msg)
            dark = screenshot(f, html, 320, True, "%s-%s-320-dark.png" % (kind, lang))
            (r, g, b), width = first_pixel(dark)
            expect_eq(width, 320, "screenshot width")
            expect((r, g, b) == (0, 255, 0), "the page overflows 320 px (mark %r)"
                   % ((r, g, b),))
            light = screenshot(f, html, 600, False, "%s-%s-600.png" % (kind, lang))
            expect(os.path.getsize(light) > 1000, "empty screenshot")
            out = os.environ.get("AR_MAIL_SCREENSHOTS")
            if out:
                os.makedirs(out, exist_ok=True)
                for p in (dark, light):
                    shutil.copy(p, os.path.join(out, os.path.basename(p)))

    return t.done()


if __name__ == "__main__":
    raise SystemExit(main())
