-- 005: attempt counters per writer in InnoDB, replicated by a Galera
-- cluster (commit 0b20e52, merged into main as 1e1b1f4; a database made
-- on that branch, without mail_queue, gets 003 and 004 first).  The MEMORY counters of 0.1.0 are dropped:
-- they hold at most the failures of the current attempt window, which a
-- restart of the database server loses too.
CREATE TABLE IF NOT EXISTS attempt_failures (
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  writer       BIGINT UNSIGNED NOT NULL,
  failures     INT UNSIGNED NOT NULL,
  PRIMARY KEY (client_key, window_start, writer),
  KEY attempt_failures_age (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
DROP TABLE IF EXISTS attempt_counters;
