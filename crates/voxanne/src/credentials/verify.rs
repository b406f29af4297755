//! Verifying a stored credential: the Phase 0 check suite through a Twilio credential, or the
//! token and calendar checks of a Google Calendar connection. Status and report are stored.
//! The scheduled re-check ([`recheck`]) runs the same checks without the test texts.
//!
//! The Twilio client comes from [`crate::twilio_account`], always on the server's configured
//! Twilio base URL: nothing a tenant stores or sends can point verification elsewhere.

use super::CredentialError;
use crate::activity::AuditAction;
use crate::check::{
    self, AuthKind, CheckId, CheckPlan, CheckStatus, Report as CheckReport, Sender, Surface,
};
use crate::field::FieldError;
use crate::ids::{CredentialId, OrgId};
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::store::{
    Credential, CredentialType, RecheckOutcome, TwilioAuthMode, VerificationStatus,
};
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
/// A verification by hand also moves the credential's next scheduled re-check a whole interval on.
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
    let report =
        twilio_checks(services, org, &credential, request.test_to, request.surface).await?;
    let stored = record(services, org, id, report.status, &report).await?;
    services.metrics.verification(report.status.as_str());
    services.store.reschedule_recheck(org, id).await?;
    super::audit(services, caller, AuditAction::CredentialVerified, &stored).await?;
    Ok(Verification {
        report,
        verified_at: stored.verified_at,
    })
}

/// What a scheduled re-check found, and the credential as it is after it.
#[derive(Debug, Clone)]
pub struct Rechecked {
    pub outcome: RecheckOutcome,
    pub report: Report,
    pub credential: Credential,
}

/// The scheduled re-check of credential `id`: the verification's checks without the test texts
/// (Twilio: the account, the sender and the key; Google: the token, refreshed if need be, and
/// the booking calendar). Only a definitive answer changes the status; when Twilio or Google
/// could not be asked, the report says so check by check and the status is left as it was.
/// `None` when the credential was changed or verified by hand meanwhile (nothing is recorded).
pub async fn recheck(
    services: &Services,
    org: &OrgId,
    id: &CredentialId,
) -> Result<Option<Rechecked>, CredentialError> {
    let credential = services.store.get_credential(org, id).await?;
    let (report, credential) = if credential.kind == CredentialType::GoogleCalendar {
        let connections = services
            .google
            .ready()
            .ok_or(CredentialError::GoogleNotConfigured)?;
        let (credential, report) = connections.verify(org, id).await?;
        (report, credential)
    } else {
        let mut report = twilio_checks(services, org, &credential, None, Surface::Api).await?;
        // No test texts are sent: their two skipped lines would only say so.
        report.checks.retain(|check| {
            check.id != CheckId::GenericSms.as_str() && check.id != CheckId::HotLeadSms.as_str()
        });
        if recheck_outcome(&report) == RecheckOutcome::CouldNotCheck {
            report.status = credential.verification_status;
        }
        // Changed or verified by hand while the checks ran (they can take seconds when Twilio
        // is slow): that newer state stands, and the change has rescheduled the next re-check.
        let now = services.store.get_credential(org, id).await?;
        if now.updated_at != credential.updated_at {
            return Ok(None);
        }
        let stored = record(services, org, id, report.status, &report).await?;
        (report, stored)
    };
    Ok(Some(Rechecked {
        outcome: recheck_outcome(&report),
        report,
        credential,
    }))
}

/// A report's meaning for a re-check: "could not check" when every failure was Twilio or Google
/// not answering definitively, otherwise the status the report decided.
pub fn recheck_outcome(report: &Report) -> RecheckOutcome {
    let definitive_failure = report
        .checks
        .iter()
        .any(|check| check.status == Outcome::Fail && !check.could_not_check);
    let could_not_check = report.checks.iter().any(|check| check.could_not_check);
    if could_not_check && !definitive_failure {
        return RecheckOutcome::CouldNotCheck;
    }
    match report.status {
        VerificationStatus::Verified => RecheckOutcome::Verified,
        VerificationStatus::NeedsReconnect => RecheckOutcome::NeedsReconnect,
        _ => RecheckOutcome::Failed,
    }
}

/// Runs the Phase 0 checks through a stored Twilio credential (the test texts only with
/// `test_to`) and words the result as the stored report, its status decided by the checks.
async fn twilio_checks(
    services: &Services,
    org: &OrgId,
    credential: &Credential,
    test_to: Option<PhoneNumber>,
    surface: Surface,
) -> Result<Report, CredentialError> {
    let account = services
        .accounts()
        .open(org, credential)
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
    let mut plan = CheckPlan::new(auth, sender, test_to.map(Ok), clinic);
    plan.surface = surface;
    // The report is shown beside the credential, whose Account SID is masked: so is it here.
    let account_sid = account.client.account_sid().as_str().to_owned();
    Ok(stored_report(
        &check::run(&account.client, &plan).await,
        &account_sid,
    ))
}

/// Stores a Twilio credential's status and report, and forgets its cached client.
async fn record(
    services: &Services,
    org: &OrgId,
    id: &CredentialId,
    status: VerificationStatus,
    report: &Report,
) -> Result<Credential, CredentialError> {
    let value = serde_json::to_value(report).map_err(|err| {
        anyhow::Error::new(err).context("Failed to encode the verification report")
    })?;
    let stored = services
        .store
        .record_verification(org, id, status, &value)
        .await?;
    services.accounts().invalidate(id);
    tracing::info!(org_id = %org, credential_id = %id, status = %status, "credential verified");
    Ok(stored)
}

/// A Google Calendar credential: token, calendar list and primary-calendar checks.
async fn verify_google(
    services: &Services,
    caller: &Caller,
    id: &CredentialId,
    request: VerifyRequest,
) -> Result<Verification, CredentialError> {
    if request.test_to.is_some() {
        // 409: the body is well-formed; it is this credential's kind that refuses it.
        return Err(CredentialError::Conflict(
            FieldError::new(
                "not_applicable",
                "test_to",
                "`test_to` applies to Twilio credentials only; this is a Google Calendar connection.",
            )
            .with_hint("Leave `test_to` out to verify a Google Calendar connection."),
        ));
    }
    let connections = services
        .google
        .ready()
        .ok_or(CredentialError::GoogleNotConfigured)?;
    let (credential, report) = connections.verify(caller.org(), id).await?;
    services.store.reschedule_recheck(caller.org(), id).await?;
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
        could_not_check: result.could_not_check,
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
