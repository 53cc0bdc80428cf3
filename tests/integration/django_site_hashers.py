"""The test Django project's hasher: Django's PBKDF2PasswordHasher (same
algorithm name, pbkdf2_sha256) with 1000 iterations for new hashes."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000
