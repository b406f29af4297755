//! The Phase 0 check suite against the sandbox: as a library, as `voxanne check twilio` and
//! through the verify endpoint.

mod api;
mod command;
mod delivery;
mod library;
mod process;
mod results;

use std::time::Duration;

use voxanne::check::{AuthKind, CheckPlan, CheckStatus, Report, RetryPolicy, Sender};
use voxanne::phone::PhoneNumber;

use crate::support::twilio_sandbox::{AccountCreds, TwilioSandbox};

pub const FROM: &str = "+14155550100";
pub const TO: &str = "+14155550199";

pub fn phone(number: &str) -> PhoneNumber {
    PhoneNumber::parse("test", number).unwrap()
}

pub fn plan(to: Option<&str>) -> CheckPlan {
    let mut plan = CheckPlan::new(
        AuthKind::AuthToken,
        Sender::From(phone(FROM)),
        to.map(|to| Ok(phone(to))),
        "Bright Smile Dental",
    );
    plan.retry = RetryPolicy {
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
    };
    plan
}

pub fn statuses(report: &Report) -> Vec<(&'static str, CheckStatus)> {
    report
        .checks
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect()
}

pub async fn ready_account(sandbox: &TwilioSandbox, kind: &str) -> AccountCreds {
    let account = sandbox.account(kind).await;
    sandbox.add_number(&account, FROM, true).await;
    account
}

/// The Twilio variables of `account` with the From number, as `voxanne check twilio` reads them.
pub fn token_env(account: &AccountCreds) -> [(&'static str, &str); 3] {
    [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
        ("TWILIO_PHONE_NUMBER", FROM),
    ]
}

/// A process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `out` is a usage error (exit 2) printed as JSON whose message starts with `starts`.
pub fn assert_json_usage_error(out: &std::process::Output, starts: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"]["code"], "usage");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(starts), "{message}");
}
