#!/usr/bin/env python3
"""django_site.py: a minimal Django project (Debian's python3-django, the
mysqlclient driver python3-mysqldb) for test_django.py.  Its settings name
the private MariaDB by unix socket; it has django.contrib.auth and nothing
else.  One command per run:

  django_site.py SOCKET DB migrate
  django_site.py SOCKET DB create USERNAME EMAIL      (password on stdin)
  django_site.py SOCKET DB authenticate USERNAME      (password on stdin)
  django_site.py SOCKET DB userid USERNAME
"""

import sys

import django
from django.conf import settings


def configure(socket_path, database):
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only-not-a-secret",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": database,
            "USER": "root",
            "OPTIONS": {"unix_socket": socket_path, "charset": "utf8mb4"},
        }},
        # Django's own PBKDF2-SHA256 hasher (the default), with fewer
        # iterations for new hashes so the test runs fast; a record's own
        # iteration count is what verification uses.
        PASSWORD_HASHERS=["django_site_hashers.FastPBKDF2"],
        USE_TZ=True,
    )
    django.setup()


def main(argv):
    socket_path, database, cmd = argv[1], argv[2], argv[3]
    configure(socket_path, database)
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User
    from django.core.management import call_command

    if cmd == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
    elif cmd == "create":
        User.objects.create_user(argv[4], argv[5], sys.stdin.readline().rstrip("\n"))
    elif cmd == "authenticate":
        user = authenticate(username=argv[4], password=sys.stdin.readline().rstrip("\n"))
        print("yes" if user is not None else "no")
    elif cmd == "userid":
        print(User.objects.get(username=argv[4]).id)
    else:
        raise SystemExit("unknown command %r" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
