-- Pending Google OAuth authorizations: one row per `state` handed out by the connect endpoint.
-- Only the state's SHA-256 is kept (a database reader cannot complete someone's flow), and the
-- PKCE verifier is sealed under the organization's data key. Rows are kept after use (used_at) so
-- a replayed state is told apart from an unknown one, and are swept a day after they expire.
CREATE TABLE oauth_states (
    state_hash     TEXT PRIMARY KEY NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    credential_id  TEXT REFERENCES credentials (id) ON DELETE CASCADE,
    verifier       BLOB NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);
