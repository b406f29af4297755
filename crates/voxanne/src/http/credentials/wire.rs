//! Wire types of the credentials API (`…In` requests, `…Out` responses).
//!
//! Requests keep secrets in `SecretString` from the moment they are parsed, and every request
//! type refuses unknown fields. Responses are built from the store's read model, which holds no
//! secret at all: the Account SID is masked, secrets appear as their last 4 characters at most.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::credentials::{CredentialChanges, NewTwilioAccount};
pub use crate::masking::mask_sid;
use crate::store::{Credential, CredentialType, TwilioAuthMode};
use crate::verification::Verification;
pub use crate::verification::{Check as CheckOut, Outcome as CheckStatusOut};

/// `POST /api/organization/credentials/twilio`: a Twilio account, with either its Auth Token or
/// an API key (SK…) and its secret, and either a From number or a Messaging Service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTwilioCredentialIn {
    /// A name for people, e.g. "Main line". Default: "Twilio".
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub label: Option<String>,
    /// The Account SID: `AC` followed by 32 hex digits.
    #[schema(pattern = "^AC[0-9a-fA-F]{32}$")]
    pub account_sid: String,
    /// The account's Auth Token (32 lower-case hex digits, from the Twilio console). Required
    /// unless an API key is given; beside an API key it is used only to validate Twilio's callbacks.
    #[schema(value_type = Option<String>, format = Password, min_length = 32, max_length = 32, pattern = "^[0-9a-f]{32}$")]
    pub auth_token: Option<SecretString>,
    /// An API key SID (`SK` + 32 hex digits), with `api_key_secret`.
    #[schema(pattern = "^SK[0-9a-fA-F]{32}$")]
    pub api_key_sid: Option<String>,
    /// The API key's secret (32 letters and digits, shown once when the key is created).
    #[schema(value_type = Option<String>, format = Password, min_length = 32, max_length = 32, pattern = "^[A-Za-z0-9]{32}$")]
    pub api_key_secret: Option<SecretString>,
    /// The number messages are sent from, in E.164 form (`+14155552671`); or give
    /// `messaging_service_sid` instead.
    #[schema(example = "+14155552671", pattern = "^\\+[1-9][0-9]{7,14}$")]
    pub from_number: Option<String>,
    /// A Messaging Service SID (`MG` + 32 hex digits), instead of `from_number`.
    #[schema(pattern = "^MG[0-9a-fA-F]{32}$")]
    pub messaging_service_sid: Option<String>,
    /// Verify against Twilio before answering (the answer then carries the report).
    #[serde(default)]
    pub verify: bool,
}

/// `PATCH /api/organization/credentials/{id}`: only the fields given change. New secrets or a new
/// sender reset `verification_status` to `unverified`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCredentialIn {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub label: Option<String>,
    /// `false` stops the credential from being used (it stays stored).
    pub is_active: Option<bool>,
    /// `true` makes this the organization's primary credential of its type; the previous primary
    /// stops being primary in the same transaction.
    pub is_primary: Option<bool>,
    /// A new Auth Token (for an API-key credential: the callback-validation token).
    #[schema(value_type = Option<String>, format = Password, min_length = 32, max_length = 32, pattern = "^[0-9a-f]{32}$")]
    pub auth_token: Option<SecretString>,
    /// A new API key; give `api_key_secret` with it.
    #[schema(pattern = "^SK[0-9a-fA-F]{32}$")]
    pub api_key_sid: Option<String>,
    #[schema(value_type = Option<String>, format = Password, min_length = 32, max_length = 32, pattern = "^[A-Za-z0-9]{32}$")]
    pub api_key_secret: Option<SecretString>,
    /// A new From number (replaces a Messaging Service).
    #[schema(example = "+14155552671", pattern = "^\\+[1-9][0-9]{7,14}$")]
    pub from_number: Option<String>,
    /// A new Messaging Service (replaces a From number).
    #[schema(pattern = "^MG[0-9a-fA-F]{32}$")]
    pub messaging_service_sid: Option<String>,
}

/// `GET /api/organization/credentials?type=…`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only credentials of this type.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<CredentialKindOut>)]
    pub kind: Option<String>,
}

/// `POST /api/organization/credentials/{id}/verify`
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// A mobile number (E.164) to receive two test messages (a plain SMS and a hot-lead alert).
    /// Without it only the account and the sender are checked.
    #[schema(example = "+14155552671", pattern = "^\\+[1-9][0-9]{7,14}$")]
    pub test_to: Option<String>,
}

/// The provider a credential is for.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKindOut {
    Twilio,
    GoogleCalendar,
}

/// Where a credential stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatusOut {
    Unverified,
    Verified,
    Failed,
    NeedsReconnect,
    Undecryptable,
}

/// How a Twilio credential authenticates.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthModeOut {
    AuthToken,
    ApiKey,
}

/// The result of `POST …/verify`, also kept as the credential's `last_verification`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationOut {
    /// `verified` when no check failed, else `failed`.
    pub status: VerificationStatusOut,
    pub checks: Vec<CheckOut>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// A credential as stored. Never holds a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialOut {
    #[schema(example = "cred_0123456789abcdefghijklmnop")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CredentialKindOut,
    pub label: String,
    /// The Account SID with all but its last 4 characters hidden.
    #[schema(example = "AC••••••••••••••••••••••••••••1234")]
    pub account_sid_masked: Option<String>,
    pub auth_mode: Option<AuthModeOut>,
    /// The API key SID with all but its last 4 characters hidden.
    pub api_key_sid_masked: Option<String>,
    pub from_number: Option<String>,
    pub messaging_service_sid: Option<String>,
    /// The Google account that granted calendar access (Google Calendar credentials).
    pub google_email: Option<String>,
    /// Last 4 characters of the main secret (the Auth Token or API key secret).
    pub secret_last4: Option<String>,
    pub is_active: bool,
    pub is_primary: bool,
    pub verification_status: VerificationStatusOut,
    pub verified_at: Option<DateTime<Utc>>,
    /// The last verification's report.
    pub last_verification: Option<VerificationOut>,
    /// When the last scheduled re-check ran (its report is `last_verification`).
    pub last_checked_at: Option<DateTime<Utc>>,
    /// When the next scheduled re-check is due; `null` after adding, changing or verifying
    /// it by hand until the scheduler's next poll (at most 30 s) sets it a whole interval later.
    pub next_check_at: Option<DateTime<Utc>>,
    /// What the last scheduled re-check found; `could_not_check` when Twilio or Google gave no
    /// definitive answer (the status was left as it was and the check is retried sooner).
    pub last_check_outcome: Option<RecheckOutcomeOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a scheduled re-check found.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecheckOutcomeOut {
    Verified,
    Failed,
    NeedsReconnect,
    CouldNotCheck,
}

impl From<crate::store::RecheckOutcome> for RecheckOutcomeOut {
    fn from(outcome: crate::store::RecheckOutcome) -> Self {
        use crate::store::RecheckOutcome as O;
        match outcome {
            O::Verified => Self::Verified,
            O::Failed => Self::Failed,
            O::NeedsReconnect => Self::NeedsReconnect,
            O::CouldNotCheck => Self::CouldNotCheck,
        }
    }
}

/// `GET /api/organization/credentials`
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialListOut {
    pub credentials: Vec<CredentialOut>,
}

impl From<crate::store::VerificationStatus> for VerificationStatusOut {
    fn from(status: crate::store::VerificationStatus) -> Self {
        use crate::store::VerificationStatus as S;
        match status {
            S::Unverified => Self::Unverified,
            S::Verified => Self::Verified,
            S::Failed => Self::Failed,
            S::NeedsReconnect => Self::NeedsReconnect,
            S::Undecryptable => Self::Undecryptable,
        }
    }
}

impl From<&Verification> for VerificationOut {
    fn from(verification: &Verification) -> Self {
        Self {
            status: verification.report.status.into(),
            checks: verification.report.checks.clone(),
            verified_at: verification.verified_at,
        }
    }
}

impl From<CreateTwilioCredentialIn> for NewTwilioAccount {
    fn from(body: CreateTwilioCredentialIn) -> Self {
        Self {
            label: body.label,
            account_sid: body.account_sid,
            auth_token: body.auth_token,
            api_key_sid: body.api_key_sid,
            api_key_secret: body.api_key_secret,
            from_number: body.from_number,
            messaging_service_sid: body.messaging_service_sid,
        }
    }
}

impl From<UpdateCredentialIn> for CredentialChanges {
    fn from(body: UpdateCredentialIn) -> Self {
        Self {
            label: body.label,
            is_active: body.is_active,
            is_primary: body.is_primary,
            auth_token: body.auth_token,
            api_key_sid: body.api_key_sid,
            api_key_secret: body.api_key_secret,
            from_number: body.from_number,
            messaging_service_sid: body.messaging_service_sid,
        }
    }
}

impl From<&Credential> for CredentialOut {
    fn from(c: &Credential) -> Self {
        let d = &c.display;
        let last_verification = Verification::last_of(c).as_ref().map(VerificationOut::from);
        Self {
            id: c.id.to_string(),
            kind: match c.kind {
                CredentialType::Twilio => CredentialKindOut::Twilio,
                CredentialType::GoogleCalendar => CredentialKindOut::GoogleCalendar,
            },
            label: c.label.clone(),
            account_sid_masked: d.account_sid.as_deref().map(mask_sid),
            auth_mode: d.auth_mode.map(|mode| match mode {
                TwilioAuthMode::AuthToken => AuthModeOut::AuthToken,
                TwilioAuthMode::ApiKey => AuthModeOut::ApiKey,
            }),
            api_key_sid_masked: d.api_key_sid.as_deref().map(mask_sid),
            from_number: d.from_number.clone(),
            messaging_service_sid: d.messaging_service_sid.clone(),
            google_email: d.google_email.clone(),
            secret_last4: c.secret_last4.clone(),
            is_active: c.is_active,
            is_primary: c.is_primary,
            verification_status: c.verification_status.into(),
            verified_at: c.verified_at,
            last_verification,
            last_checked_at: c.recheck.last_checked_at,
            next_check_at: c.recheck.next_check_at,
            last_check_outcome: c.recheck.last_outcome.map(RecheckOutcomeOut::from),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_sid_keeps_its_prefix_and_last_four_and_its_length() {
        let sid = format!("AC{}1234", "a".repeat(28));
        let masked = mask_sid(&sid);
        assert_eq!(masked, format!("AC{}1234", "•".repeat(28)));
        assert_eq!(masked.chars().count(), sid.len());
    }

    #[test]
    fn a_short_value_is_hidden_entirely() {
        assert_eq!(mask_sid("AC12"), "••••");
    }
}
