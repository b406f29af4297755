//! A credential's verification report: each check's outcome in plain words, kept with the
//! credential (its `verified_at` is the report's time) and shown by every front door.
//!
//! Twilio credentials are checked by the Phase 0 suite ([`crate::check`]), Google Calendar
//! connections by [`crate::google_connection`]; both write this one shape, so the JSON API, the
//! dashboard and the CLI read one shape back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Credential, VerificationStatus};

/// Outcome of one check. (Its OpenAPI schema, `CheckStatusOut`, is derived here so the JSON API
/// shows the stored shape as it is.)
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CheckStatusOut)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One check of a verification.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CheckOut)]
pub struct Check {
    /// e.g. `account`, `phone`, `generic_sms`, `hot_lead_sms`, `token`, `calendar_list`.
    pub id: String,
    pub status: Outcome,
    /// What happened, in plain words.
    pub message: String,
    /// The fix, for a failure.
    pub hint: Option<String>,
    /// Twilio's error code, when Twilio's answer decided the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_code: Option<u32>,
    /// SID of a test message that was sent, for tracking in Twilio's console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_sid: Option<String>,
    /// Segments of a test message that was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<u32>,
    /// A test message's last status: `delivered`, `undelivered`, `failed`, or the status it had
    /// when the 5 s delivery deadline passed (`sent`: the carrier confirmed nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "delivered")]
    pub final_status: Option<String>,
    /// Milliseconds from sending a test message to Twilio reporting it delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_ms: Option<u64>,
    /// Set on a failed check when Twilio or Google gave no definitive answer (timeout,
    /// connection error, 5xx, 429): nothing could be checked, and a scheduled re-check left the
    /// credential's status as it was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub could_not_check: bool,
}

impl Check {
    /// A check decided without Twilio (no code, no message sent).
    pub fn new(id: &str, status: Outcome, message: String, hint: Option<String>) -> Self {
        Self {
            id: id.to_owned(),
            status,
            message,
            hint,
            twilio_code: None,
            message_sid: None,
            segments: None,
            final_status: None,
            delivery_ms: None,
            could_not_check: false,
        }
    }

    /// A failed check that could not check (see [`Check::could_not_check`]).
    pub fn could_not_check(id: &str, message: String, hint: String) -> Self {
        Self {
            could_not_check: true,
            ..Self::new(id, Outcome::Fail, message, Some(hint))
        }
    }
}

/// What the store keeps as the report (the time is the credential's `verified_at`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `verified` when no check failed; otherwise `failed` or `needs_reconnect`.
    pub status: VerificationStatus,
    pub checks: Vec<Check>,
}

/// A report with its time: the answer of a verification, and a credential's last one.
#[derive(Debug, Clone)]
pub struct Verification {
    pub report: Report,
    pub verified_at: Option<DateTime<Utc>>,
}

impl Verification {
    /// The last verification stored with `credential`, if it has one that reads as a report.
    pub fn last_of(credential: &Credential) -> Option<Self> {
        let value = credential.verification_report.as_ref()?;
        let report = serde_json::from_value::<Report>(value.clone()).ok()?;
        Some(Self {
            report,
            verified_at: credential.verified_at,
        })
    }
}
