-- Appointments booked into a clinic's Google Calendar. A row is committed in `booking` before
-- Google is asked, so a lost answer or a crash is reconciled from it (by the appointment id the
-- event carries in `extendedProperties.private`), never repeated blindly. Like the outbox, a
-- worker holds an unsettled row with a lease (`lease_until`) and a fence it must name to write.
-- Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE appointments (
    id              TEXT PRIMARY KEY NOT NULL,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL,
    calendar_id     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('booking', 'booked', 'failed', 'canceling', 'canceled')),
    start_at        BIGINT NOT NULL,
    end_at          BIGINT NOT NULL,
    -- start/end widened by the buffer in force when booked: what no other booking may overlap
    hold_from       BIGINT NOT NULL,
    hold_until      BIGINT NOT NULL,
    timezone        TEXT NOT NULL,
    lead_name       TEXT NOT NULL,
    lead_phone      TEXT NOT NULL,
    lead_reason     TEXT,
    notes           TEXT,
    google_event_id TEXT,
    html_link       TEXT,
    failure_code    TEXT,
    failure_reason  TEXT,
    idem_key        TEXT,
    fingerprint     TEXT,
    lease_owner     TEXT,                             -- the process (dispatch worker id) holding it
    lease_until     BIGINT NOT NULL DEFAULT 0,
    fence           BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX appointments_by_idem_key ON appointments (org_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX appointments_by_time ON appointments (org_id, start_at);
CREATE INDEX appointments_unsettled ON appointments (lease_until) WHERE status IN ('booking', 'canceling');
