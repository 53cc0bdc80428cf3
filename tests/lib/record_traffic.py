#!/usr/bin/env python3
"""record_traffic.py: a small run of every kind of traffic, for the secrets
search (tests/integration/test_no_secret_in_logs.py), which starts it so
that it has something to search even when it runs on its own.

It creates users (the admin CLI reads their passwords), issues codes,
resets through a CGI process and a FastCGI responder, and sends a refused
password and an unknown code; every secret is noted and every log left in
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
