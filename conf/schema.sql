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
  PRIMARY KEY (id),
  UNIQUE KEY reset_codes_digest (code_sha256),   -- the lookup of every request
  KEY reset_codes_user_open (user_id, used_at),  -- ending a user's open codes
  CONSTRAINT reset_codes_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- OAuth-style tokens handed out at login.  A reset revokes all of the
-- user's tokens (revoked_at) before storing the new pair.
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
  PRIMARY KEY (id),
  UNIQUE KEY tokens_access (access_sha256),
  UNIQUE KEY tokens_refresh (refresh_sha256),
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
