-- account-reset schema (MySQL 5.7+ / MariaDB 10.3+): InnoDB, utf8mb4.
-- Load it once:  mysql account_reset < schema.sql
-- Secrets are never stored: codes and tokens as SHA-256 hex digests,
-- passwords as Django-format PBKDF2-HMAC-SHA256 records.
-- All times are UTC (UTC_TIMESTAMP()).

CREATE TABLE IF NOT EXISTS users (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email               VARCHAR(254) NOT NULL,
  password            VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  password_changed_at DATETIME(6) NULL,
  created_at          DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per validation code sent by e-mail.  A code is valid while
-- used_at IS NULL and expires_at is in the future.  A reset sets used_at on
-- the code it used and on every other open code of the same user.
CREATE TABLE IF NOT EXISTS reset_codes (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  code_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at  DATETIME(6) NOT NULL,
  expires_at  DATETIME(6) NOT NULL,
  used_at     DATETIME(6) NULL,
  locale      VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
                                                 -- the recover request's, for the notice
  PRIMARY KEY (id),
  UNIQUE KEY reset_codes_digest (code_sha256),   -- the lookup of every request
  KEY reset_codes_user_open (user_id, used_at),  -- ending a user's open codes
  CONSTRAINT reset_codes_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- OAuth-style tokens handed out at login.  A reset revokes all of the
-- user's tokens (revoked_at) before storing the new pair.  A refresh
-- (POST /api/v2/account/token/) ends its row (revoked_at and rotated_at)
-- and stores the new pair in the same family (family_id: the id of the
-- family's first row, which itself has NULL).  A refresh token presented
-- again after its rotation ends every row of its family (RFC 9700 4.14).
CREATE TABLE IF NOT EXISTS tokens (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id            BIGINT UNSIGNED NOT NULL,
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
  KEY tokens_user_open (user_id, revoked_at),    -- revoking a user's tokens
  CONSTRAINT tokens_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed validation-code attempts per client (an IPv4 address or an IPv6
-- /64) in fixed windows of attempt_window seconds (window_start is a Unix
-- time, a multiple of the window), counted by writer: each responder
-- process counts in a row of its own (writer is a random number it picks
-- at start), and a client's failures are the sum over its rows of the
-- window.  So no two processes ever write the same row: one client's
-- failures never contend for a lock on one server, and never conflict at
-- certification on a Galera cluster, whichever nodes they come through.
-- Past attempt_limit the answer is 429.  The program deletes rows of ended
-- windows as it goes (no cron job).  InnoDB, so that every node of a
-- cluster sees every failure (a MEMORY table is not replicated, and
-- wsrep_mode=STRICT_REPLICATION refuses to create one).
CREATE TABLE IF NOT EXISTS attempt_failures (
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  writer       BIGINT UNSIGNED NOT NULL,
  failures     INT UNSIGNED NOT NULL,
  PRIMARY KEY (client_key, window_start, writer),  -- the count and the upsert
  KEY attempt_failures_age (window_start)          -- the sweep
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

-- The counters of earlier versions (a MEMORY table: per node on a cluster).
DROP TABLE IF EXISTS attempt_counters;

-- The recover endpoint's queue: one row per accepted request
-- (POST /api/v2/account/recover/), written by the responder with one
-- INSERT and no user lookup, worked off by account-reset-mailer.
--   * The per-client limit (recover_limit per recover_window) is counted
--     from these rows themselves: (client_key, created_at).
--   * state 'queued' rows are open; due_at is when a mailer may take one:
--     the next attempt, or, while a mailer holds it, the end of its lease
--     (lease_token).  A mailer that dies loses nothing: its lease runs
--     out and another takes the row.
--   * user_id, reserved_at and code_id are set when a mailer commits to
--     mailing an account (the per-account caps count these), smtp_status
--     and finished_at with the outcome; state then is 'sent',
--     'suppressed' (over a per-account cap), 'unknown' (no such account),
--     'failed' (SMTP 5xx or out of attempts) or 'expired' (too old to be
--     worth a code).
--   * After recover_retention the mailer wipes email and client_key.
--   * kind 'changed' is the "your password was changed" notice, inserted
--     by the reset's own transaction (a reset that rolls back has none),
--     with user_id, email (the account's) and the code's locale; its
--     reserved_at stays NULL and the per-client limit skips it, so no
--     recover cap ever counts or suppresses it.
-- Insert-only from the responder: no counter row that every request
-- updates, which also suits a Galera cluster.  Every index costs each
-- request an index insert, so each one here serves a limit or the mailer.  The code itself is never
-- here: reset_codes holds its SHA-256, code_id points at that row.
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

-- The schema's version: one row per upgrade step it includes
-- (conf/upgrade/NNN-topic.sql, docs/UPGRADING.md).  Every program reads
-- MAX(version) when it connects and refuses a schema it does not know;
-- account-reset-admin migrate brings an earlier one up to date.  A step
-- added to conf/upgrade/ adds its row here and in schema-django.sql.
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
