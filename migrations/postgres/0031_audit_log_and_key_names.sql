-- The audit log: every change to credentials, settings, API keys and admins, whoever made it
-- (an admin's e-mail, an API key's name, or "CLI"). Never a secret: objects are named by id/label.
-- `seq` orders entries and is the paging cursor.
CREATE TABLE audit_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('admin', 'api_key', 'cli')),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object      TEXT NOT NULL,
    source_ip   TEXT
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, seq);
CREATE INDEX audit_log_by_org_action ON audit_log (org_id, action, seq);

-- API keys get a name the clinic chooses ("Receptionist backend"); keys made before have none.
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
