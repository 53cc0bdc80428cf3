-- account-reset on an existing Django site (docs/DJANGO.md): load this
-- into the Django database after "manage.py migrate", instead of
-- schema.sql.  Users stay in Django's auth_user; account-reset sees them
-- through the view "users", which shows only the four columns it needs
-- (never is_superuser, is_staff, username...), so its database account
-- can change a password and nothing else.
-- Django's password records are the same pbkdf2_sha256$... format.

-- The time of the last reset, which auth_user has no column for.  Django
-- ignores a column it does not know, and NULL is allowed.
ALTER TABLE auth_user ADD COLUMN IF NOT EXISTS password_changed_at DATETIME(6) NULL;

-- A single-table view of plain columns: MariaDB and MySQL can update it,
-- so account-reset's "UPDATE users SET password = ..." changes auth_user.
-- created_at is date_joined.  Users are created by Django, not by
-- account-reset-admin create-user (auth_user has NOT NULL columns that a
-- view insert cannot fill).
CREATE OR REPLACE SQL SECURITY DEFINER VIEW users AS
  SELECT id, email, password, password_changed_at, date_joined AS created_at
  FROM auth_user;

-- Codes and tokens as in schema.sql, but user_id has the type of
-- auth_user.id (Django's AutoField: INT; with DEFAULT_AUTO_FIELD =
-- BigAutoField make it BIGINT) so that the foreign keys can name
-- auth_user, and deleting a Django user deletes its codes and tokens.
CREATE TABLE IF NOT EXISTS reset_codes (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     INT NOT NULL,
  code_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at  DATETIME(6) NOT NULL,
  expires_at  DATETIME(6) NOT NULL,
  used_at     DATETIME(6) NULL,
  locale      VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
                                                 -- the recover request's, for the notice
  PRIMARY KEY (id),
  UNIQUE KEY reset_codes_digest (code_sha256),
  KEY reset_codes_user_open (user_id, used_at),
  CONSTRAINT reset_codes_auth_user FOREIGN KEY (user_id) REFERENCES auth_user (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tokens (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id            INT NOT NULL,
  access_sha256      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  refresh_sha256     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  client_id          VARCHAR(255) NOT NULL,
  scope              VARCHAR(255) NOT NULL,
  created_at         DATETIME(6) NOT NULL,
  access_expires_at  DATETIME(6) NOT NULL,
  refresh_expires_at DATETIME(6) NOT NULL,
  revoked_at         DATETIME(6) NULL,
  family_id          BIGINT UNSIGNED NULL,   -- the family's first row; NULL: this row
  rotated_at         DATETIME(6) NULL,       -- its refresh token was exchanged
  PRIMARY KEY (id),
  UNIQUE KEY tokens_access (access_sha256),
  UNIQUE KEY tokens_refresh (refresh_sha256),
  KEY tokens_family (family_id),                 -- ending a family on reuse
  KEY tokens_user_open (user_id, revoked_at),
  CONSTRAINT tokens_auth_user FOREIGN KEY (user_id) REFERENCES auth_user (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The attempt counters and the recover queue as in schema.sql.
CREATE TABLE IF NOT EXISTS attempt_failures (
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  writer       BIGINT UNSIGNED NOT NULL,
  failures     INT UNSIGNED NOT NULL,
  PRIMARY KEY (client_key, window_start, writer),  -- the count and the upsert
  KEY attempt_failures_age (window_start)          -- the sweep
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

CREATE TABLE IF NOT EXISTS mail_queue (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  request_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  client_net   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  client_provider VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  fair_rank    INT UNSIGNED NOT NULL DEFAULT 0,   -- rows of its network before it
  email        VARCHAR(254) NULL,
  locale       VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  kind         ENUM('recover', 'changed') CHARACTER SET ascii NOT NULL
                 DEFAULT 'recover',                -- 'changed': the notice after a reset
  created_at   DATETIME(6) NOT NULL,
  enqueued_at  DATETIME(6) NOT NULL,              -- created_at, or a requeue
  state        ENUM('queued', 'sent', 'suppressed', 'unknown', 'failed',
                    'expired') CHARACTER SET ascii NOT NULL DEFAULT 'queued',
  due_at       DATETIME(6) NOT NULL,
  lease_token  CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  attempts     INT UNSIGNED NOT NULL DEFAULT 0,
  user_id      BIGINT UNSIGNED NULL,
  reserved_at  DATETIME(6) NULL,
  code_id      BIGINT UNSIGNED NULL,
  smtp_status  SMALLINT UNSIGNED NULL,
  finished_at  DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY mail_queue_client (client_key, created_at),  -- the per-client limit
  KEY mail_queue_net (client_net, created_at),     -- the per-network limit
  KEY mail_queue_provider (client_provider, created_at), -- the per-provider limit
  KEY mail_queue_fair (state, fair_rank, due_at),  -- fair order by network
  KEY mail_queue_due (state, due_at),              -- the next row to mail
  KEY mail_queue_account (user_id, reserved_at),   -- per-account caps (and,
                                                   -- user_id NULL, unknown ones)
  KEY mail_queue_age (created_at)                  -- retention
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The schema's version, as in schema.sql (docs/UPGRADING.md).
CREATE TABLE IF NOT EXISTS schema_version (
  version    INT UNSIGNED NOT NULL,
  topic      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
INSERT IGNORE INTO schema_version VALUES (1, 'attempt-counters', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (2, 'attempt-counters-memory', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (3, 'mail-queue', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (4, 'mail-queue-indexes', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (5, 'attempt-failures', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (6, 'client-network', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (7, 'token-families', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (8, 'events-webhooks', UTC_TIMESTAMP(6));
INSERT IGNORE INTO schema_version VALUES (9, 'client-provider', UTC_TIMESTAMP(6));

-- The record of what happened (issue 18): one row per event, never a
-- secret.  type is one of recovery.requested (the mailer resolved a
-- recover request to an account: requests for unknown addresses leave no
-- row), mail.sent, mail.suppressed, mail.failed, mail.expired,
-- password.reset, tokens.revoked, tokens.reuse_detected and admin.COMMAND
-- (actor: the OS user who ran account-reset-admin).  request_id and
-- client_key as in the logs; user_id where known; detail a short ASCII
-- note (a queue id, an SMTP status, a count).  No foreign key: the record
-- outlives a deleted user.  Old rows go after retention_events, 500 at a
-- time, from the mailer's sweep.  InnoDB with a primary key: Galera-safe.
CREATE TABLE IF NOT EXISTS events (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at  DATETIME(6) NOT NULL,
  type        VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_id  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  user_id     BIGINT UNSIGNED NULL,
  client_key  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  actor       VARCHAR(64) NOT NULL DEFAULT '',
  detail      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY events_user (user_id, id),                 -- events EMAIL
  KEY events_age (created_at)                    -- --since, retention
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The webhook outbox: one row per event a site is told of (password.reset,
-- tokens.revoked, tokens.reuse_detected), inserted in the transaction
-- that writes the event, only while webhook_url is set.  The mailer
-- delivers it like a mail: a lease (lease_token, due_at), retries with
-- backoff and jitter, state 'delivered' or 'failed' (given up).  Its id
-- is the webhook-id the receiver deduplicates by (at-least-once).
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id    BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(6) NOT NULL,
  state       ENUM('queued', 'delivered', 'failed') CHARACTER SET ascii
                NOT NULL DEFAULT 'queued',
  due_at      DATETIME(6) NOT NULL,
  lease_token CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  attempts    INT UNSIGNED NOT NULL DEFAULT 0,
  http_status SMALLINT UNSIGNED NULL,
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY webhook_outbox_event (event_id),
  KEY webhook_outbox_due (state, due_at),
  KEY webhook_outbox_age (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
