//! The scheduled re-verification's last result in words, for the Twilio account and calendar
//! pages.

use super::render::when;
use crate::store::{Credential, RecheckOutcome};

/// "2026-12-02 05:40 UTC: could not check (3 times in a row) …; next try …".
pub(super) fn recheck_words(credential: &Credential) -> String {
    let recheck = &credential.recheck;
    let next = recheck
        .next_check_at
        .as_ref()
        .map_or_else(|| "being scheduled".to_owned(), when);
    let Some((at, outcome)) = recheck.last_checked_at.as_ref().zip(recheck.last_outcome) else {
        return format!("Not re-checked yet; next check {next}.");
    };
    let found = match outcome {
        RecheckOutcome::Verified => "still works".to_owned(),
        RecheckOutcome::Failed => "found a problem (see the checks below)".to_owned(),
        RecheckOutcome::NeedsReconnect => "Google no longer accepts the connection".to_owned(),
        RecheckOutcome::CouldNotCheck => {
            let times = match recheck.consecutive_failures {
                0 | 1 => String::new(),
                n => format!(", {n} times in a row"),
            };
            format!(
                "could not check{times}: the provider did not answer, so the status was left as it was"
            )
        }
    };
    let next_words = if outcome == RecheckOutcome::CouldNotCheck {
        "next try"
    } else {
        "next check"
    };
    format!("{}: {found}; {next_words} {next}.", when(at))
}
