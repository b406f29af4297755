//! Verification of a stored Twilio credential: the Phase 0 check suite run through it.
//!
//! The client is always built on the server's configured Twilio base URL (real Twilio by default,
//! the sandbox in tests): nothing a tenant stores or sends can point verification elsewhere.

use secrecy::SecretString;

use super::wire::{CheckOut, CheckStatusOut, StoredReport, VerificationOut, VerificationStatusOut};
use crate::check::{self, AuthKind, CheckPlan, CheckStatus, Report, Sender, Surface};
use crate::http::AppState;
use crate::http::error::{ApiError, FieldError};
use crate::ids::{CredentialId, OrgId};
use crate::phone::PhoneNumber;
use crate::store::{
    CredentialSecrets, CredentialType, SecretField, TwilioAuthMode, VerificationStatus,
};

fn corrupt(what: &'static str) -> ApiError {
    ApiError::Unexpected(anyhow::anyhow!(
        "stored Twilio credential is inconsistent: {what}"
    ))
}

fn required_secret(
    secrets: &CredentialSecrets,
    field: SecretField,
) -> Result<SecretString, ApiError> {
    secrets
        .get(field)
        .cloned()
        .ok_or_else(|| corrupt("a secret is missing"))
}

/// The Twilio credentials and the check plan for a stored credential.
fn plan(
    secrets: &CredentialSecrets,
    to: Option<PhoneNumber>,
    clinic: String,
) -> Result<(twilio::Credentials, CheckPlan), ApiError> {
    let display = &secrets.credential.display;
    let account_sid = display
        .account_sid
        .as_deref()
        .and_then(|sid| twilio::AccountSid::parse(sid).ok())
        .ok_or_else(|| corrupt("no valid Account SID"))?;
    let (credentials, auth) = match display.auth_mode {
        Some(TwilioAuthMode::ApiKey) => {
            let key_sid = display
                .api_key_sid
                .as_deref()
                .and_then(|sid| twilio::ApiKeySid::parse(sid).ok())
                .ok_or_else(|| corrupt("no valid API key SID"))?;
            let key_secret = required_secret(secrets, SecretField::ApiKeySecret)?;
            (
                twilio::Credentials::ApiKey {
                    account_sid,
                    key_sid,
                    key_secret,
                },
                AuthKind::ApiKey,
            )
        }
        Some(TwilioAuthMode::AuthToken) | None => {
            let auth_token = required_secret(secrets, SecretField::AuthToken)?;
            (
                twilio::Credentials::AuthToken {
                    account_sid,
                    auth_token,
                },
                AuthKind::AuthToken,
            )
        }
    };
    let sender = match (&display.from_number, &display.messaging_service_sid) {
        (Some(number), _) => Sender::From(
            PhoneNumber::parse("from_number", number).map_err(|_| corrupt("a bad From number"))?,
        ),
        (None, Some(service)) => Sender::MessagingService(
            twilio::MessagingServiceSid::parse(service)
                .map_err(|_| corrupt("a bad Messaging Service SID"))?,
        ),
        (None, None) => return Err(corrupt("no sender")),
    };
    let mut plan = CheckPlan::new(auth, sender, to.map(Ok), clinic);
    plan.surface = Surface::Api;
    Ok((credentials, plan))
}

fn check_out(result: &check::CheckResult) -> CheckOut {
    CheckOut {
        id: result.id.as_str().to_owned(),
        status: match result.status {
            CheckStatus::Pass => CheckStatusOut::Pass,
            CheckStatus::Fail => CheckStatusOut::Fail,
            CheckStatus::Skip => CheckStatusOut::Skip,
        },
        message: result.message.clone(),
        hint: result.hint.clone(),
        twilio_code: result.twilio_code,
        message_sid: result.message_sid.clone(),
        segments: result.segments,
        final_status: result.final_status.map(|s| s.as_str().to_owned()),
        delivery_ms: result.delivery_ms,
    }
}

fn stored_report(report: &Report) -> StoredReport {
    let status = if report.passed() {
        VerificationStatusOut::Verified
    } else {
        VerificationStatusOut::Failed
    };
    StoredReport {
        status,
        checks: report.checks.iter().map(check_out).collect(),
    }
}

/// Runs the checks through credential `id` of `org`, persists status and report, and returns them.
pub async fn verify(
    state: &AppState,
    org: &OrgId,
    id: &CredentialId,
    to: Option<PhoneNumber>,
) -> Result<VerificationOut, ApiError> {
    let credential = state.store().get_credential(org, id).await?;
    if credential.kind == CredentialType::GoogleCalendar {
        return verify_google(state, org, id, to).await;
    }
    let secrets = state.store().open_credential_secrets(org, id).await?;
    let clinic = state.store().get_organization(org).await?.name;
    let (credentials, plan) = plan(&secrets, to, clinic)?;
    drop(secrets);
    let client = state.twilio_client(credentials);
    let report = stored_report(&check::run(&client, &plan).await);
    let status = match report.status {
        VerificationStatusOut::Verified => VerificationStatus::Verified,
        _ => VerificationStatus::Failed,
    };
    let value = serde_json::to_value(&report).map_err(|err| {
        ApiError::Unexpected(
            anyhow::Error::new(err).context("Failed to encode the verification report"),
        )
    })?;
    let stored = state
        .store()
        .record_verification(org, id, status, &value)
        .await?;
    state.metrics().verification(status.as_str());
    tracing::info!(org_id = %org, credential_id = %id, status = %status, "credential verified");
    Ok(VerificationOut {
        status: report.status,
        checks: report.checks,
        verified_at: stored.verified_at,
    })
}

/// A Google Calendar credential: token, calendar list and primary-calendar checks.
async fn verify_google(
    state: &AppState,
    org: &OrgId,
    id: &CredentialId,
    to: Option<PhoneNumber>,
) -> Result<VerificationOut, ApiError> {
    if to.is_some() {
        return Err(FieldError::new(
            "not_applicable",
            "test_to",
            "`test_to` applies to Twilio credentials only; this is a Google Calendar connection.",
        )
        .with_hint("Leave `test_to` out to verify a Google Calendar connection.")
        .into());
    }
    let connections = crate::http::google_oauth::connections(state)?;
    let (credential, report) = connections.verify(org, id).await?;
    state
        .metrics()
        .verification(credential.verification_status.as_str());
    Ok(VerificationOut {
        status: report.status,
        checks: report.checks,
        verified_at: credential.verified_at,
    })
}
