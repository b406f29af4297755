-- Outbound messages, their timeline, and the status callbacks already applied.
-- Times are Unix milliseconds (BIGINT) in both backends so queries compare them the same way.
CREATE TABLE messages (
    id              TEXT PRIMARY KEY,                 -- msg_…
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL,                    -- kept after the credential is deleted, for history
    kind            TEXT NOT NULL,                    -- 'sms' | 'hot_lead'
    to_number       TEXT NOT NULL,                    -- E.164
    sender          TEXT NOT NULL,                    -- From number or Messaging Service SID when queued
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,                    -- queued … delivered (forward only)
    status_rank     BIGINT NOT NULL,                  -- MessageStatus::rank(); updates only raise it
    twilio_sid      TEXT,
    segments        BIGINT NOT NULL,
    error_code      BIGINT,
    reason          TEXT,
    needs_attention BIGINT NOT NULL DEFAULT 0,        -- 1: a person must look (ambiguous send)
    callback_token  TEXT NOT NULL,                    -- per-message secret in the StatusCallback URL
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX messages_by_org_created ON messages (org_id, created_at, id);
CREATE INDEX messages_unfinished ON messages (status_rank, updated_at);
CREATE UNIQUE INDEX messages_by_twilio_sid ON messages (org_id, twilio_sid);

CREATE TABLE message_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,                        -- accepted, sent_to_twilio, status, retry, …
    status      TEXT,
    detail      TEXT,
    twilio_code BIGINT
);
CREATE INDEX message_events_by_message ON message_events (message_id, id);

CREATE TABLE status_callbacks (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    dedup_key   TEXT NOT NULL,                        -- I-Twilio-Idempotency-Token, else status
    received_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, dedup_key)
);
