-- 006-client-network: the recover limit per network (issue 19, point 3).
-- Every recover request's queue row records the client's network (an
-- IPv4 /24, an IPv6 /48) next to its key (an IPv4 address, an IPv6 /64),
-- and the responder counts a network's rows in the window through this
-- index.  Rows queued before the upgrade have '' and count for no network.
-- Safe to run twice.
ALTER TABLE mail_queue
  ADD COLUMN IF NOT EXISTS client_net VARCHAR(64) CHARACTER SET ascii
    COLLATE ascii_bin NOT NULL DEFAULT '' AFTER client_key,
  ADD KEY IF NOT EXISTS mail_queue_net (client_net, created_at);
-- Fair order: a row's fair_rank is how many rows its network queued in
-- the window before it; the mailer takes due rows by fair_rank first, so a
-- flood from one network waits behind everyone else's first requests.
ALTER TABLE mail_queue
  ADD COLUMN IF NOT EXISTS fair_rank INT UNSIGNED NOT NULL DEFAULT 0 AFTER client_net,
  ADD KEY IF NOT EXISTS mail_queue_fair (state, fair_rank, due_at);
