-- Scheduled re-verification. `next_check_at` says when a credential is next re-checked: a server
-- claims due credentials by moving it forward in one UPDATE, so several servers on one database
-- check each credential once per interval. NULL means "not scheduled yet": the scheduler gives it
-- now + interval (new credentials, and ones changed or verified by hand).
-- The last run's time and outcome, and how many runs in a row could not check (timeouts, 5xx, 429),
-- are kept beside it. Times are Unix milliseconds, compared as numbers on both backends.
ALTER TABLE credentials ADD COLUMN next_check_at BIGINT;
ALTER TABLE credentials ADD COLUMN last_checked_at BIGINT;
ALTER TABLE credentials ADD COLUMN last_check_outcome TEXT
    CHECK (last_check_outcome IN ('verified', 'failed', 'needs_reconnect', 'could_not_check'));
ALTER TABLE credentials ADD COLUMN recheck_failures BIGINT NOT NULL DEFAULT 0;
CREATE INDEX credentials_by_next_check ON credentials (next_check_at);
