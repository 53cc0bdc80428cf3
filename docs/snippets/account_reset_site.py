"""account_reset_site.py: what a site's own Python code does around
account-reset (docs/DJANGO.md).  Any DB-API connection to the database
account-reset uses will do (MySQLdb / mysqlclient, PyMySQL; Django's
django.db.connection too).  Standard library otherwise.

issue_code(conn, user_id): a validation code account-reset accepts: 192
random bits in the URL-safe alphabet, stored only as its SHA-256, valid
for ttl seconds.  Put the returned code in the e-mail; never log it.

access_token_user(conn, token): the user id an access token that
account-reset issued belongs to, or None when the token is unknown,
revoked (a later reset, account-reset-admin revoke-tokens) or expired.
"""

import hashlib
import secrets

CODE_BYTES = 24  # 32 characters, as account-reset-admin issue-code makes


def _sha256_hex(text):
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def issue_code(conn, user_id, ttl=3600):
    """Stores a new code for user_id and returns it (to mail, not to log)."""
    code = secrets.token_urlsafe(CODE_BYTES)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO reset_codes (user_id, code_sha256, created_at, expires_at) "
            "VALUES (%s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL %s SECOND)",
            (user_id, _sha256_hex(code), int(ttl)))
    conn.commit()
    return code


def access_token_user(conn, token):
    """The user id of a live access token, else None.  The lookup is by
    the token's digest, so the token itself never reaches the database."""
    if not isinstance(token, str) or not 20 <= len(token) <= 128:
        return None
    with conn.cursor() as cur:
        cur.execute(
            "SELECT user_id FROM tokens WHERE access_sha256 = %s "
            "AND revoked_at IS NULL AND access_expires_at > UTC_TIMESTAMP(6)",
            (_sha256_hex(token),))
        row = cur.fetchone()
    conn.rollback()  # end the read's transaction: the next check sees new rows
    return int(row[0]) if row else None


def bearer_token(authorization_header):
    """The token of an "Authorization: Bearer TOKEN" header, or None."""
    parts = (authorization_header or "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None
