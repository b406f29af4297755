-- `status_rank` now holds twilio::MessageStatus::rank(), the one rank table of the client and the
-- outbox, instead of the outbox's own. The order of the outbox's statuses is unchanged, except
-- that `accepted`/`scheduled` now rank below `queued` as in Twilio's life cycle (no message of
-- ours is stored with either: every message starts `queued`). Final statuses rank 6 and above.
UPDATE messages SET status_rank = CASE status
    WHEN 'accepted' THEN 1
    WHEN 'scheduled' THEN 1
    WHEN 'queued' THEN 2
    WHEN 'sending' THEN 3
    WHEN 'sent' THEN 4
    WHEN 'partially_delivered' THEN 5
    WHEN 'delivered' THEN 6
    WHEN 'undelivered' THEN 6
    WHEN 'failed' THEN 6
    WHEN 'canceled' THEN 6
    WHEN 'read' THEN 7
    ELSE status_rank
END;
