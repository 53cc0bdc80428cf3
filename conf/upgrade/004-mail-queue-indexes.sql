-- 004: two fewer indexes on mail_queue, each an index insert per recover
-- request (commit a159f62).  Dropping an index is in place and takes no
-- lock that a request waits for.
ALTER TABLE mail_queue DROP INDEX IF EXISTS mail_queue_lease, ALGORITHM=INPLACE, LOCK=NONE;
ALTER TABLE mail_queue DROP INDEX IF EXISTS mail_queue_address, ALGORITHM=INPLACE, LOCK=NONE;
