#!/usr/bin/env python3
"""record_traffic.py: a small run of every kind of traffic, for the secrets
search (tests/integration/test_no_secret_in_logs.py), which starts it so
that it has something to search even when it runs on its own.

It creates users (the admin CLI reads their passwords), issues codes,
resets through a CGI process and a FastCGI responder, sends a refused
password and an unknown code, and asks for a code by mail (recover, the
mailer, a real SMTP server) and resets with it; every secret is noted and every log left in
the run record at exit, as any test process does.  Exit status 0 when the
traffic went as expected.
"""

import sys

from harness import Fixture, reset_payload, strong_password, unknown_code


def main():
    f = Fixture(iterations=1000).setup()
    _, _, code = f.user_and_code()
    r = f.cgi(reset_payload(code, strong_password()))
    if r.status != 200:
        sys.stderr.write("record_traffic: CGI reset got %d\n" % r.status)
        return 1
    fc = f.fastcgi()
    _, _, code = f.user_and_code()
    answers = [fc.request(reset_payload(code, strong_password())).status,
               fc.request(reset_payload(unknown_code(), "short")).status,
               fc.request(reset_payload(unknown_code(), strong_password())).status]
    fc.stop()
    if answers != [200, 400, 400]:
        sys.stderr.write("record_traffic: FastCGI answers %r\n" % answers)
        return 1
    return mail_traffic()


def mail_traffic():
    """The recovery flow: a recover request, account-reset-mailer --once
    delivering to a real SMTP server (STARTTLS, AUTH: its password is
    noted), and the mailed code (noted) used to reset."""
    from smtpd import MailSink, Mailer, code_of, mail_settings
    f = Fixture(iterations=1000)
    sink = MailSink(f)
    f.settings.update(mail_settings(sink))
    f.setup()
    sink.start()
    email, _ = f.create_user()
    path = "/api/v2/account/recover/"
    r = f.cgi({"email": email}, env={"DOCUMENT_URI": path, "REQUEST_URI": path})
    if r.status != 202 or Mailer(f).run().returncode != 0 or len(sink.files()) != 1:
        sys.stderr.write("record_traffic: recover %d, %d mails\n"
                         % (r.status, len(sink.files())))
        return 1
    code = code_of(f, sink.messages()[0][2])
    if f.cgi(reset_payload(code, strong_password())).status != 200:
        sys.stderr.write("record_traffic: the mailed code did not reset\n")
        return 1
    # The "password changed" notice the reset queued, through the mailer
    # too, so that its log lines are searched for secrets as well.
    if Mailer(f).run().returncode != 0 or len(sink.files()) != 2:
        sys.stderr.write("record_traffic: no notice after the reset (%d mails)\n"
                         % len(sink.files()))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
