-- 008: the "password changed" notice, the events table and the webhook outbox (issue 18).
-- reset_codes.locale: the recover request's locale, carried to the
-- notice that follows a reset with that code.
-- mail_queue.kind: 'changed' rows are notices queued by the reset's own
-- transaction.  Both columns have defaults: old rows stay as they were,
-- and an old responder or mailer keeps working while this is applied.
ALTER TABLE reset_codes
  ADD COLUMN IF NOT EXISTS locale VARCHAR(35) CHARACTER SET ascii
    COLLATE ascii_bin NOT NULL DEFAULT '' AFTER used_at;
ALTER TABLE mail_queue
  ADD COLUMN IF NOT EXISTS kind ENUM('recover', 'changed') CHARACTER SET ascii
    NOT NULL DEFAULT 'recover' AFTER locale;

-- The events table and the webhook outbox (new tables).
-- The record of what happened (issue 18): one row per event, never a
-- secret.  type is one of recovery.requested (the mailer resolved a
-- recover request to an account: requests for unknown addresses leave no
-- row), mail.sent, mail.suppressed, mail.failed, mail.expired,
-- password.reset, tokens.revoked, tokens.reuse_detected and admin.COMMAND
-- (actor: the OS user who ran account-reset-admin).  request_id and
-- client_key as in the logs, user_id where known, detail a short ASCII
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
  KEY events_user (user_id, id),
  KEY events_age (created_at)
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
