-- 009-client-provider: the recover limit per provider (issue 19, point 3).
-- One IPv6 /32 (a provider's usual allocation) holds 65,536 /48s, each
-- with its own recover_network_limit and each first in the fair order:
-- every recover request's queue row now records the client's provider
-- block too (an IPv4 /16, an IPv6 /32), which the responder counts in the
-- window through this index (recover_provider_limit).  Rows queued
-- before the upgrade have '' and count for no provider.  The column has a
-- default: an old responder keeps working while this is applied.
-- Safe to run twice.
ALTER TABLE mail_queue
  ADD COLUMN IF NOT EXISTS client_provider VARCHAR(64) CHARACTER SET ascii
    COLLATE ascii_bin NOT NULL DEFAULT '' AFTER client_net,
  ADD KEY IF NOT EXISTS mail_queue_provider (client_provider, created_at);
