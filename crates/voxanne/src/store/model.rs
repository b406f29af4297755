//! The tenant model: organizations, users, API keys and credentials, as the store returns them.
//!
//! These are read models: they never hold a secret. Secrets enter through [`NewCredential`] /
//! [`CredentialPatch`] as `SecretString`s and leave only through
//! [`Store::open_credential_secrets`](super::Store::open_credential_secrets).

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;
use crate::ids::{ApiKeyId, CredentialId, OrgId, UserId};

/// An organization (a clinic).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub settings: super::OrgSettings,
    pub created_at: DateTime<Utc>,
}

text_enum!(
    /// What a dashboard user may do.
    Role, "role" { Owner => "owner", Admin => "admin" }
);

/// A dashboard user (never with its password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An API key as stored: no key, only its last 4 characters.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    /// Chosen by the clinic; empty for keys made by `voxanne org create` / `api-key create`.
    pub name: String,
    pub last4: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who a valid API key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyPrincipal {
    pub org_id: OrgId,
    pub key_id: ApiKeyId,
}

text_enum!(
    /// The provider a credential is for.
    CredentialType, "credential type" { Twilio => "twilio", GoogleCalendar => "google_calendar" }
);

text_enum!(
    /// Where a credential stands after its last verification (or why it cannot be used).
    VerificationStatus, "verification status" {
        /// Never verified, or changed since.
        Unverified => "unverified",
        Verified => "verified",
        Failed => "failed",
        /// The provider revoked our access (e.g. a Google refresh token); the clinic must reconnect.
        NeedsReconnect => "needs_reconnect",
        /// Its secrets cannot be opened with the configured keys: visible, never used to send.
        Undecryptable => "undecryptable",
    }
);

text_enum!(
    /// How a Twilio credential authenticates: with the account's auth token or an API key (SK…).
    TwilioAuthMode, "Twilio auth mode" { AuthToken => "auth_token", ApiKey => "api_key" }
);

text_enum!(
    /// The secret fields a credential may hold; each is sealed separately.
    SecretField, "secret field" {
        AuthToken => "auth_token",
        ApiKeySecret => "api_key_secret",
        RefreshToken => "refresh_token",
        AccessToken => "access_token",
    }
);

impl SecretField {
    /// Which fields a credential of `kind` may hold.
    pub fn allowed_for(self, kind: CredentialType) -> bool {
        match kind {
            CredentialType::Twilio => matches!(self, Self::AuthToken | Self::ApiKeySecret),
            CredentialType::GoogleCalendar => {
                matches!(self, Self::RefreshToken | Self::AccessToken)
            }
        }
    }
}

/// Non-secret fields shown to the clinic (the API masks `account_sid` when rendering).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CredentialDisplay {
    /// Twilio Account SID (AC…), kept whole because API paths need it.
    pub account_sid: Option<String>,
    pub auth_mode: Option<TwilioAuthMode>,
    /// Twilio API key SID (SK…) when `auth_mode` is `api_key`.
    pub api_key_sid: Option<String>,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// The Google account that granted calendar access.
    pub google_email: Option<String>,
    pub calendar_id: Option<String>,
}

/// A stored credential, without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credential {
    pub id: CredentialId,
    pub org_id: OrgId,
    pub kind: CredentialType,
    pub label: String,
    pub is_active: bool,
    pub is_primary: bool,
    pub verification_status: VerificationStatus,
    /// When the last verification ran.
    pub verified_at: Option<DateTime<Utc>>,
    /// The last verification report, as the verifier wrote it.
    pub verification_report: Option<serde_json::Value>,
    pub display: CredentialDisplay,
    /// Last 4 characters of the main secret (auth token, API key secret or refresh token).
    pub secret_last4: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Scheduled re-verification: last run, next one, consecutive "could not check".
    pub recheck: Recheck,
}

/// One secret value to store, with an optional expiry (for OAuth access tokens).
#[derive(Debug, Clone)]
pub struct SecretValue {
    pub field: SecretField,
    pub value: SecretString,
    pub expires_at: Option<DateTime<Utc>>,
}

impl SecretValue {
    pub fn new(field: SecretField, value: SecretString) -> Self {
        Self {
            field,
            value,
            expires_at: None,
        }
    }
}

/// What `insert_credential` needs.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub kind: CredentialType,
    pub label: String,
    pub display: CredentialDisplay,
    pub secrets: Vec<SecretValue>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CredentialPatch {
    pub label: Option<String>,
    pub is_active: Option<bool>,
    /// `Some(true)` makes this the primary of its type (the previous one stops being primary in
    /// the same transaction); `Some(false)` leaves the type without a primary.
    pub is_primary: Option<bool>,
    /// Replaces all display fields; resets verification to `unverified`.
    pub display: Option<CredentialDisplay>,
    /// Replaces these secret fields (others stay); resets verification to `unverified`.
    pub secrets: Option<Vec<SecretValue>>,
}

/// A credential's secrets, opened.
#[derive(Debug)]
pub struct CredentialSecrets {
    pub credential: Credential,
    pub fields: Vec<SecretValue>,
}

impl CredentialSecrets {
    pub fn get(&self, field: SecretField) -> Option<&SecretString> {
        self.fields
            .iter()
            .find(|s| s.field == field)
            .map(|s| &s.value)
    }

    pub fn get_with_expiry(&self, field: SecretField) -> Option<&SecretValue> {
        self.fields.iter().find(|s| s.field == field)
    }
}

/// How many wrapped data keys (and the key check) each master key seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUsage {
    pub key_id: String,
    pub data_keys: u64,
    pub key_check: bool,
    /// Whether this key is in the configured keyring.
    pub configured: bool,
    pub newest: bool,
}

/// What `rotate_data_keys` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    pub newest_key_id: String,
    pub rewrapped: u64,
    /// Rows that changed under us (deleted or rotated concurrently); not an error.
    pub skipped: u64,
    /// Organizations whose data key no configured key opens.
    pub unreadable: Vec<OrgId>,
    /// Rows still sealed under another key after the run (0 means old keys can be retired).
    pub remaining_old: u64,
}

text_enum!(
    /// What a scheduled re-check found.
    RecheckOutcome, "re-check outcome" {
        Verified => "verified",
        Failed => "failed",
        NeedsReconnect => "needs_reconnect",
        /// Twilio or Google did not give a definitive answer (timeout, connection error, 5xx,
        /// 429): the status was left as it was.
        CouldNotCheck => "could_not_check",
    }
);

/// A credential's re-verification schedule and last result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recheck {
    /// When the last scheduled re-check ran.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// When the next one is due; `None` until the scheduler's next poll sets it (at most 30 s).
    pub next_check_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<RecheckOutcome>,
    /// Re-checks in a row that could not check (0 after any definitive answer).
    pub consecutive_failures: u32,
}
