-- Signed event webhooks (the Standard Webhooks scheme): the organization's endpoints, the events
-- raised for them, one delivery row per (event, endpoint) queued in the same transaction as the
-- state change that raised the event, and every attempt made. Times are Unix milliseconds;
-- flags are 0/1 BIGINTs, as in the outbox.
CREATE TABLE webhook_endpoints (
    id                      TEXT PRIMARY KEY,                 -- whk_…
    org_id                  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                     TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    events                  TEXT NOT NULL,                    -- JSON array of event types
    enabled                 BIGINT NOT NULL DEFAULT 1,
    disabled_reason         TEXT,
    secret                  BLOB NOT NULL,                -- sealed with the org's data key
    secret_last4            TEXT NOT NULL,
    previous_secret         BLOB,                         -- still signs until previous_until
    previous_until          BIGINT,
    failing_since           BIGINT,                           -- first failure since the last success
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (org_id, created_at);

-- `dedup_key` makes a message's event unique (one `message.delivered` per message, whichever
-- path applied the status); credential events have none, as one credential fails many times.
CREATE TABLE webhook_events (
    id              TEXT PRIMARY KEY,                         -- evt_…, the `webhook-id` header
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    message_id      TEXT,
    credential_id   TEXT,
    status          TEXT,
    error_code      BIGINT,
    reason          TEXT,
    dedup_key       TEXT UNIQUE,
    created_at      BIGINT NOT NULL
);

-- A delivery is `pending` until it succeeds (`delivered`), its schedule runs out (`failed`) or
-- its endpoint goes away or is disabled (`canceled`). Claims work like the outbox's: `due_at`
-- doubles as the lease and `fence` names the holder. `id` orders deliveries: one for the same
-- subject (message or credential) and endpoint is not sent while an earlier one is pending.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    subject_id      TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    due_at          BIGINT NOT NULL,
    lease_owner     TEXT,
    fence           BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_subject ON webhook_deliveries (endpoint_id, subject_id, id) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    id               TEXT PRIMARY KEY,                        -- wha_…
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    delivery_id      BIGINT NOT NULL,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status_code      BIGINT,                                  -- NULL: no HTTP answer (see error)
    latency_ms       BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    response_excerpt TEXT NOT NULL DEFAULT '',                -- the first 1 KiB of the body
    error            TEXT
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, at);
