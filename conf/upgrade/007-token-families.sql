-- 007 token-families: refresh-token rotation (issue 21).  Each tokens row
-- belongs to a family: the row a login made (family_id NULL) and every
-- row a refresh of it made since (family_id = that first row's id).
-- rotated_at marks a row whose refresh token was exchanged, so that its
-- reuse is told apart from a logout or a reset (RFC 9700 4.14.2).
-- Existing rows need nothing: NULL makes each its own family, and none
-- has been rotated.  Both columns go at the end (instant), the index is
-- built online.
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS family_id BIGINT UNSIGNED NULL, ALGORITHM=INSTANT;
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS rotated_at DATETIME(6) NULL, ALGORITHM=INSTANT;
ALTER TABLE tokens ADD INDEX IF NOT EXISTS tokens_family (family_id), ALGORITHM=INPLACE, LOCK=NONE;
