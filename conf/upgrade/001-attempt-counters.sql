-- 001: failed validation-code attempts counted in the database
-- (commit 8bb78a0, before the first release).  Superseded by 005.
CREATE TABLE IF NOT EXISTS attempt_counters (
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  failures     INT UNSIGNED NOT NULL,
  PRIMARY KEY (client_key, window_start),
  KEY attempt_counters_age (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
