-- 002: the attempt counters in a MEMORY table (commit d4e51c6; the
-- schema of release 0.1.0).  Counters are short-lived windows that a
-- restart of the server loses by design, so the table is made again
-- rather than altered (no copy, no lock held while rows are converted).
-- Superseded by 005, which drops it.
DROP TABLE IF EXISTS attempt_counters;
CREATE TABLE IF NOT EXISTS attempt_counters (
  client_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  failures     INT UNSIGNED NOT NULL,
  PRIMARY KEY (client_key, window_start) USING HASH,
  KEY attempt_counters_age (window_start) USING BTREE
) ENGINE=MEMORY DEFAULT CHARSET=ascii;
