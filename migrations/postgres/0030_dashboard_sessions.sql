-- Dashboard sign-in sessions. Only the SHA-256 of the session id (the cookie's value) is stored, so a
-- database reader cannot ride a session. The CSRF token is per session and useless without the cookie.
-- Removing a user (or the organization) ends their sessions.
CREATE TABLE dashboard_sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_by_last_seen ON dashboard_sessions (last_seen_at);
