-- Each organization's sending quota (texts per minute and per rolling day). A missing row or a NULL
-- means the default the service ships with, so a default can change without a migration.
CREATE TABLE sending_quotas (
    org_id              TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    texts_per_minute    BIGINT,
    texts_per_day       BIGINT
);

-- The texts each organization had queued, one row per accepted request: what the quota counts.
-- It lives in the database, not in a process, so every `serve` sharing the database sees the same
-- count. Rows older than a day are deleted as new ones are written.
CREATE TABLE sending_quota_usage (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at      BIGINT NOT NULL,
    texts   BIGINT NOT NULL
);
-- Covers the window sums (org, time, count) without reading the table.
CREATE INDEX sending_quota_usage_by_org ON sending_quota_usage (org_id, at, texts);
