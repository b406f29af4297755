-- The durable send queue and the Idempotency-Key memory.
-- A row lives in `outbox` while its message still has to reach Twilio. A worker claims it by
-- pushing `due_at` to the end of its lease and bumping `fence`; every later write names the
-- fence it holds, so a worker whose lease ran out cannot overwrite its successor.
CREATE TABLE outbox (
    message_id      TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL,
    credential_id   TEXT NOT NULL,
    due_at          BIGINT NOT NULL,                  -- next time a worker may take it
    attempts        BIGINT NOT NULL DEFAULT 0,        -- create-message requests made
    lease_owner     TEXT,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    fence           BIGINT NOT NULL DEFAULT 0,
    in_flight_since BIGINT,                           -- a send started and its outcome is unknown
    reconcile       BIGINT NOT NULL DEFAULT 0,        -- 1: ask Twilio before sending again
    paused          BIGINT NOT NULL DEFAULT 0,        -- 1: the credential failed; wait for a fix
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (due_at) WHERE paused = 0;
CREATE INDEX outbox_by_credential ON outbox (credential_id);

CREATE TABLE idempotency_keys (
    org_id          TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    idem_key        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,                    -- SHA-256 of the route and parsed request
    response_status BIGINT,                           -- NULL while the first request is in progress
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    PRIMARY KEY (org_id, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
