//! Verifying a stored credential: the Phase 0 check suite through a Twilio credential, or the
//! token and calendar checks of a Google Calendar connection. Status and report are stored.
//!
//! The Twilio client comes from [`crate::twilio_account`], always on the server's configured
//! Twilio base URL: nothing a tenant stores or sends can point verification elsewhere.

use super::CredentialError;
use crate::activity::AuditAction;
use crate::check::{
    self, AuthKind, CheckPlan, CheckStatus, Report as CheckReport, Sender, Surface,
};
use crate::field::FieldError;
use crate::ids::CredentialId;
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::store::{CredentialType, TwilioAuthMode, VerificationStatus};
use crate::tenant::Caller;
use crate::twilio_account::Unusable;
use crate::verification::{Check, Outcome, Report, Verification};

/// What to verify with.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// A mobile number to send the two test texts to (Twilio credentials only).
    pub test_to: Option<PhoneNumber>,
    /// Whose words the "give a number to send test texts" hint uses.
    pub surface: Surface,
}

impl Default for VerifyRequest {
    fn default() -> Self {
        Self {
            test_to: None,
            surface: Surface::Api,
        }
    }
}

/// Runs the checks through credential `id`, records its status and report, and returns them.
pub async fn verify(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
    request: VerifyRequest,
) -> Result<Verification, CredentialError> {
    let org = caller.org();
    let credential = services.store.get_credential(org, id).await?;
    if credential.kind == CredentialType::GoogleCalendar {
        return verify_google(services, caller, id, request).await;
    }
    let account = services
        .accounts()
        .open(org, &credential)
        .await
        .map_err(|err| match err {
            Unusable::Undecryptable(_) => CredentialError::Undecryptable,
            Unusable::Deleted(_) => CredentialError::NotFound,
            Unusable::Store(err) => CredentialError::from(err),
            other => CredentialError::Unexpected(
                anyhow::Error::new(other).context("stored Twilio credential is inconsistent"),
            ),
        })?;
    let clinic = services.store.get_organization(org).await?.name;
    let auth = match account.auth_mode {
        TwilioAuthMode::ApiKey => AuthKind::ApiKey,
        TwilioAuthMode::AuthToken => AuthKind::AuthToken,
    };
    let sender = match &account.sender {
        twilio::Sender::From(number) => {
            Sender::From(PhoneNumber::parse("from_number", number).map_err(|err| {
                CredentialError::Unexpected(
                    anyhow::Error::new(err).context("stored From number is not E.164"),
                )
            })?)
        }
        twilio::Sender::MessagingService(service) => Sender::MessagingService(service.clone()),
    };
    let mut plan = CheckPlan::new(auth, sender, request.test_to.map(Ok), clinic);
    plan.surface = request.surface;
    // The report is shown beside the credential, whose Account SID is masked: so is it here.
    let account_sid = account.client.account_sid().as_str().to_owned();
    let report = stored_report(&check::run(&account.client, &plan).await, &account_sid);
    drop(account);
    let value = serde_json::to_value(&report).map_err(|err| {
        anyhow::Error::new(err).context("Failed to encode the verification report")
    })?;
    let stored = services
        .store
        .record_verification(org, id, report.status, &value)
        .await?;
    services.accounts().invalidate(id);
    services.metrics.verification(report.status.as_str());
    tracing::info!(org_id = %org, credential_id = %id, status = %report.status, "credential verified");
    super::audit(services, caller, AuditAction::CredentialVerified, &stored).await?;
    Ok(Verification {
        report,
        verified_at: stored.verified_at,
    })
}

/// A Google Calendar credential: token, calendar list and primary-calendar checks.
async fn verify_google(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
    request: VerifyRequest,
) -> Result<Verification, CredentialError> {
    if request.test_to.is_some() {
        return Err(FieldError::new(
            "not_applicable",
            "test_to",
            "`test_to` applies to Twilio credentials only; this is a Google Calendar connection.",
        )
        .with_hint("Leave `test_to` out to verify a Google Calendar connection.")
        .into());
    }
    let connections = services
        .google
        .ready()
        .ok_or(CredentialError::GoogleNotConfigured)?;
    let (credential, report) = connections.verify(caller.org(), id).await?;
    services
        .metrics
        .verification(credential.verification_status.as_str());
    super::audit(
        services,
        caller,
        AuditAction::CredentialVerified,
        &credential,
    )
    .await?;
    Ok(Verification {
        report,
        verified_at: credential.verified_at,
    })
}

fn check_record(result: &check::CheckResult, account_sid: &str) -> Check {
    let masked = crate::masking::mask_sid(account_sid);
    let mask = |text: &str| text.replace(account_sid, &masked);
    Check {
        id: result.id.as_str().to_owned(),
        status: match result.status {
            CheckStatus::Pass => Outcome::Pass,
            CheckStatus::Fail => Outcome::Fail,
            CheckStatus::Skip => Outcome::Skip,
        },
        message: mask(&result.message),
        hint: result.hint.as_deref().map(mask),
        twilio_code: result.twilio_code,
        message_sid: result.message_sid.clone(),
        segments: result.segments,
        final_status: result.final_status.map(|s| s.as_str().to_owned()),
        delivery_ms: result.delivery_ms,
    }
}

fn stored_report(report: &CheckReport, account_sid: &str) -> Report {
    let status = if report.passed() {
        VerificationStatus::Verified
    } else {
        VerificationStatus::Failed
    };
    Report {
        status,
        checks: report
            .checks
            .iter()
            .map(|check| check_record(check, account_sid))
            .collect(),
    }
}
