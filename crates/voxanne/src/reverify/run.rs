//! One credential's scheduled re-check: run the checks, record the run and schedule the next,
//! and say when "could not check" has happened too many times in a row.

use super::{Schedule, millis};
use crate::credentials::{self, CredentialError};
use crate::outbox::now_ms;
use crate::services::Services;
use crate::store::{ClaimedRecheck, Credential, RecheckOutcome, RecheckRun};

/// Runs in a row that could not check before the "recheck failed" signal: one blip is normal,
/// three in a row (over about 35 minutes with the default backoff) means nobody knows whether
/// the credential still works.
pub const RECHECK_FAILED_THRESHOLD: u32 = 3;

/// What the `credential.recheck_failed` event says.
const RECHECK_FAILED_REASON: &str = "Voxanne could not reach the provider to re-check this credential several times in a row (timeouts, outages or rate limits), so whether it still works is unconfirmed; its status is unchanged. Verify it by hand, or wait for the next re-check.";

/// What one re-check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub outcome: RecheckOutcome,
    /// Runs in a row that could not check, this one included (0 after a definitive answer).
    pub consecutive_failures: u32,
    /// This run made the count reach [`RECHECK_FAILED_THRESHOLD`]: raised once per streak.
    pub recheck_failed: bool,
}

/// Whether a streak of `consecutive_failures` runs that could not check has just reached the
/// threshold (exactly once per streak: the 4th, 5th, … do not signal again).
pub fn reaches_recheck_failed_threshold(consecutive_failures: u32) -> bool {
    consecutive_failures == RECHECK_FAILED_THRESHOLD
}

/// Re-checks a claimed credential and records the run; `Ok(None)` when it is gone, its secrets
/// no longer open (the store has marked it `undecryptable`, which takes it off the schedule), or
/// it was changed by hand during the checks (which rescheduled it).
pub async fn recheck_one(
    services: &Services,
    schedule: &Schedule,
    claimed: &ClaimedRecheck,
) -> Result<Option<RunReport>, CredentialError> {
    let (org, id) = (&claimed.org_id, &claimed.id);
    let rechecked = match credentials::recheck(services, org, id).await {
        Ok(Some(rechecked)) => rechecked,
        Ok(None) | Err(CredentialError::NotFound | CredentialError::Undecryptable) => {
            return Ok(None);
        }
        Err(err) => return Err(err),
    };
    let outcome = rechecked.outcome;
    let checked_at = now_ms();
    let next = match outcome {
        RecheckOutcome::CouldNotCheck => schedule.retry_after(
            rechecked
                .credential
                .recheck
                .consecutive_failures
                .saturating_add(1),
        ),
        _ => schedule.jittered_interval(),
    };
    let run = RecheckRun {
        outcome,
        checked_at_ms: checked_at,
        next_check_at_ms: checked_at.saturating_add(millis(next)),
        signal_at: RECHECK_FAILED_THRESHOLD,
        reason: RECHECK_FAILED_REASON,
    };
    let consecutive_failures = services.store.record_recheck(org, id, run).await?;
    services.metrics.recheck(outcome.as_str());
    tracing::info!(org_id = %org, credential_id = %id, %outcome, status = %rechecked.credential.verification_status, consecutive_failures, "credential re-checked");
    let report = RunReport {
        outcome,
        consecutive_failures,
        recheck_failed: reaches_recheck_failed_threshold(consecutive_failures),
    };
    if report.recheck_failed {
        recheck_failed(services, &rechecked.credential, consecutive_failures);
    }
    Ok(Some(report))
}

/// The "recheck failed" signal: credential `credential` could not be checked
/// [`RECHECK_FAILED_THRESHOLD`] times in a row. Called once per streak, after the store raised
/// the `credential.recheck_failed` event with the run.
pub fn recheck_failed(services: &Services, credential: &Credential, consecutive_failures: u32) {
    services.metrics.recheck_failed();
    tracing::warn!(
        org_id = %credential.org_id,
        credential_id = %credential.id,
        consecutive_failures,
        "credential could not be re-checked several times in a row; its status is unconfirmed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_fires_once_when_the_streak_reaches_three() {
        let fired: Vec<u32> = (0..=6)
            .filter(|n| reaches_recheck_failed_threshold(*n))
            .collect();
        assert_eq!(fired, vec![3]);
    }
}
