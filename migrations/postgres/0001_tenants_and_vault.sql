-- Organizations (tenants), their wrapped data keys, admin users, API keys, credentials and their
-- encrypted secret fields. Timestamps are TIMESTAMPTZ; booleans are BOOLEAN.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL
);

-- One data key per organization, sealed under a master key (named by master_key_id).
-- Deleting the organization deletes this row: its secrets can then never be opened again.
CREATE TABLE org_data_keys (
    org_id         TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    master_key_id  TEXT NOT NULL,
    wrapped        BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    rotated_at     TIMESTAMPTZ
);
CREATE INDEX org_data_keys_by_master_key ON org_data_keys (master_key_id);

-- A known value sealed under a master key: start-up proves the configured keys open this store.
CREATE TABLE vault_key_check (
    id             SMALLINT PRIMARY KEY NOT NULL CHECK (id = 1),
    master_key_id  TEXT NOT NULL,
    blob           BYTEA NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin')),
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_by_org ON users (org_id);

-- API keys are stored only as SHA-256 (hex) plus their last 4 characters.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key_hash      TEXT NOT NULL UNIQUE,
    last4         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_by_org ON api_keys (org_id);

CREATE TABLE credentials (
    id                     TEXT PRIMARY KEY NOT NULL,
    org_id                 TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type                   TEXT NOT NULL CHECK (type IN ('twilio', 'google_calendar')),
    label                  TEXT NOT NULL,
    is_active              BOOLEAN NOT NULL DEFAULT TRUE,
    is_primary             BOOLEAN NOT NULL DEFAULT FALSE,
    verification_status    TEXT NOT NULL DEFAULT 'unverified' CHECK (verification_status IN
                               ('unverified', 'verified', 'failed', 'needs_reconnect', 'undecryptable')),
    verified_at            TIMESTAMPTZ,
    verification_report    TEXT,
    account_sid            TEXT,
    auth_mode              TEXT CHECK (auth_mode IN ('auth_token', 'api_key')),
    api_key_sid            TEXT,
    from_number            TEXT,
    messaging_service_sid  TEXT,
    google_email           TEXT,
    calendar_id            TEXT,
    secret_last4           TEXT,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX credentials_by_org_type ON credentials (org_id, type);
-- At most one primary credential per organization and type, whatever the application does.
CREATE UNIQUE INDEX credentials_one_primary ON credentials (org_id, type) WHERE is_primary;

-- One sealed blob per secret field; the blob's associated data binds org, credential and field.
CREATE TABLE credential_secrets (
    credential_id  TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    field          TEXT NOT NULL,
    ciphertext     BYTEA NOT NULL,
    expires_at     TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (credential_id, field)
);
CREATE INDEX credential_secrets_by_org ON credential_secrets (org_id);
