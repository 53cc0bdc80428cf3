-- 003: the recover endpoint's queue (commit ea4c925).  004 drops two of
-- its indexes again.
CREATE TABLE IF NOT EXISTS mail_queue (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  request_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  email        VARCHAR(254) NULL,
  locale       VARCHAR(35) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  created_at   DATETIME(6) NOT NULL,
  enqueued_at  DATETIME(6) NOT NULL,
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
  KEY mail_queue_client (client_key, created_at),
  KEY mail_queue_due (state, due_at),
  KEY mail_queue_lease (lease_token),
  KEY mail_queue_account (user_id, reserved_at),
  KEY mail_queue_address (email, reserved_at),
  KEY mail_queue_age (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
