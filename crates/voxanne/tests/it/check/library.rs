//! `voxanne::check::run` against sandbox accounts in every state the issue lists.

use std::time::{Duration, Instant};

use voxanne::check::{AuthKind, CheckId, CheckStatus, Sender, run};

use super::{FROM, TO, plan, ready_account, statuses};
use crate::support::twilio_sandbox::TwilioSandbox;

#[tokio::test]
async fn a_ready_full_account_passes_all_four_checks_and_the_phone_gets_both_messages() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;

    assert!(report.passed(), "{report:#?}");
    assert!(
        report.checks.iter().all(|c| c.status == CheckStatus::Pass),
        "{report:#?}"
    );
    assert!(
        report
            .get(CheckId::Account)
            .unwrap()
            .message
            .contains("Full")
    );
    let hot = report.get(CheckId::HotLeadSms).unwrap();
    assert_eq!(hot.segments, Some(1));
    let inbox = sandbox.wait_for_inbox(TO, 2).await;
    let sids: Vec<&str> = inbox.iter().map(|m| m["sid"].as_str().unwrap()).collect();
    assert!(sids.contains(&hot.message_sid.as_deref().unwrap()));
    assert!(
        sids.contains(
            &report
                .get(CheckId::GenericSms)
                .unwrap()
                .message_sid
                .as_deref()
                .unwrap()
        )
    );
    let alert = inbox
        .iter()
        .find(|m| m["sid"] == hot.message_sid.as_deref().unwrap())
        .unwrap();
    assert!(
        alert["body"]
            .as_str()
            .unwrap()
            .starts_with("Hot lead for Bright Smile Dental:")
    );
}

#[tokio::test]
async fn without_a_to_number_the_sms_checks_are_skipped_and_the_run_still_passes() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let report = run(&sandbox.client(account.live()), &plan(None)).await;
    assert_eq!(
        statuses(&report),
        [
            ("account", CheckStatus::Pass),
            ("phone", CheckStatus::Pass),
            ("generic_sms", CheckStatus::Skip),
            ("hot_lead_sms", CheckStatus::Skip)
        ]
    );
    assert!(report.passed());
    assert!(
        report
            .get(CheckId::GenericSms)
            .unwrap()
            .hint
            .as_deref()
            .unwrap()
            .contains("--to")
    );
}

#[tokio::test]
async fn a_wrong_token_fails_the_account_check_and_skips_the_rest() {
    let sandbox = TwilioSandbox::start().await;
    let mut account = ready_account(&sandbox, "Full").await;
    account.auth_token.push('x');
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;
    let check = report.get(CheckId::Account).unwrap();
    assert_eq!(
        (check.status, check.twilio_code),
        (CheckStatus::Fail, Some(20003))
    );
    assert_eq!(
        check.message,
        "Twilio rejected the credentials: check the Auth Token (or API key secret) and the Account SID"
    );
    assert!(
        report.checks[1..]
            .iter()
            .all(|c| c.status == CheckStatus::Skip && c.message.contains("account check failed"))
    );
    assert!(!report.passed());
}

#[tokio::test]
async fn a_suspended_account_fails_with_how_to_reactivate_it() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    sandbox.set_status(&account, "suspended").await;
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;
    let check = report.get(CheckId::Account).unwrap();
    assert_eq!(check.status, CheckStatus::Fail);
    assert!(check.message.ends_with("is suspended"), "{}", check.message);
    assert!(check.hint.as_deref().unwrap().contains("Reactivate"));
}

#[tokio::test]
async fn a_from_number_the_account_does_not_own_fails_the_phone_check() {
    let sandbox = TwilioSandbox::start().await;
    let account = sandbox.account("Full").await;
    sandbox.add_number(&account, "+14155550101", true).await;
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;
    let check = report.get(CheckId::Phone).unwrap();
    assert_eq!(check.status, CheckStatus::Fail);
    assert_eq!(
        check.message,
        format!(
            "The From number {FROM} is not a number of account {}",
            account.account_sid
        )
    );
    assert_eq!(
        report.get(CheckId::GenericSms).unwrap().message,
        "Skipped: the phone check failed"
    );
}

#[tokio::test]
async fn a_number_without_sms_fails_the_phone_check() {
    let sandbox = TwilioSandbox::start().await;
    let account = sandbox.account("Full").await;
    sandbox.add_number(&account, FROM, false).await;
    let report = run(&sandbox.client(account.live()), &plan(None)).await;
    assert!(
        report
            .get(CheckId::Phone)
            .unwrap()
            .message
            .contains("cannot send SMS")
    );
}

#[tokio::test]
async fn a_trial_account_texting_an_unverified_number_is_told_to_verify_it() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Trial").await;
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;
    assert!(
        report
            .get(CheckId::Account)
            .unwrap()
            .message
            .contains("Trial")
    );
    let generic = report.get(CheckId::GenericSms).unwrap();
    assert_eq!(
        (generic.status, generic.twilio_code),
        (CheckStatus::Fail, Some(21608))
    );
    assert_eq!(
        generic.message,
        "Trial accounts can only text verified numbers"
    );
    assert!(
        generic
            .hint
            .as_deref()
            .unwrap()
            .starts_with(&format!("Verify {TO} in the Twilio console"))
    );
    assert_eq!(
        report.get(CheckId::HotLeadSms).unwrap().status,
        CheckStatus::Skip
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_the_checks_pass() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    sandbox.fault(&account, "429", 1).await;
    let started = Instant::now();
    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;
    assert!(report.passed(), "{report:#?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        report
            .get(CheckId::Account)
            .unwrap()
            .message
            .contains("after 2 tries")
    );
}

#[tokio::test]
async fn api_key_credentials_pass_with_the_account_type_unknown() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let key = sandbox.api_key(&account).await;
    let credentials = twilio::Credentials::ApiKey {
        account_sid: account.sid(),
        key_sid: twilio::ApiKeySid::parse(&key.sid).unwrap(),
        key_secret: key.secret.into(),
    };
    let mut plan = plan(Some(TO));
    plan.auth = AuthKind::ApiKey;
    let report = run(&sandbox.client(credentials), &plan).await;
    assert!(report.passed(), "{report:#?}");
    assert!(
        report
            .get(CheckId::Account)
            .unwrap()
            .message
            .contains("account type unknown")
    );
}

#[tokio::test]
async fn a_messaging_service_sender_is_checked_and_used() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let mg =
        twilio::MessagingServiceSid::parse(&sandbox.messaging_service(&account, &[FROM]).await)
            .unwrap();
    let mut plan = plan(Some(TO));
    plan.sender = Sender::MessagingService(mg.clone());
    let report = run(&sandbox.client(account.live()), &plan).await;
    assert!(report.passed(), "{report:#?}");
    assert!(
        report
            .get(CheckId::Phone)
            .unwrap()
            .message
            .contains(mg.as_str())
    );
}
