-- A message's callback token lives in its queue row while the dispatcher needs it for the
-- StatusCallback URL; `messages.callback_token` now keeps only its SHA-256 (hex), enough to check
-- a callback, so a copy of the database cannot forge one. Rows queued before keep the token
-- itself there, which the check still accepts.
ALTER TABLE outbox ADD COLUMN callback_token TEXT;
