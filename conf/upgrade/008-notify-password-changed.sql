-- 008: the "password changed" notice (issue 18).
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
