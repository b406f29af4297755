//! The Phase 0 check suite against the sandbox: as a library and as `voxanne check twilio`.

use std::process::Output;
use std::time::{Duration, Instant};

use voxanne::check::{AuthKind, CheckId, CheckPlan, CheckStatus, Report, RetryPolicy, Sender, run};
use voxanne::phone::PhoneNumber;

use crate::support::twilio_sandbox::{AccountCreds, TwilioSandbox};

const FROM: &str = "+14155550100";
const TO: &str = "+14155550199";

fn phone(number: &str) -> PhoneNumber {
    PhoneNumber::parse("test", number).unwrap()
}

fn plan(to: Option<&str>) -> CheckPlan {
    let mut plan = CheckPlan::new(
        AuthKind::AuthToken,
        Sender::From(phone(FROM)),
        to.map(phone),
        "Bright Smile Dental",
    );
    plan.retry = RetryPolicy {
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
    };
    plan
}

fn statuses(report: &Report) -> Vec<(&'static str, CheckStatus)> {
    report
        .checks
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect()
}

async fn ready_account(sandbox: &TwilioSandbox, kind: &str) -> AccountCreds {
    let account = sandbox.account(kind).await;
    sandbox.add_number(&account, FROM, true).await;
    account
}

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
    assert_eq!(check.message, "Twilio rejected the credentials");
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

// ---- the binary ----

const TWILIO_VARS: [&str; 6] = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
    "TWILIO_PHONE_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
];

/// Runs `voxanne check twilio ARGS` against the sandbox with only the given Twilio variables set.
async fn voxanne(sandbox: &TwilioSandbox, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_voxanne"));
    for var in TWILIO_VARS {
        command.env_remove(var);
    }
    command
        .env("VOXANNE_TWILIO_BASE_URL", sandbox.url())
        .envs(env.iter().copied())
        .args(["check", "twilio"])
        .args(args);
    // The sandbox serves from this test's runtime: wait for the child off it.
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_command_prints_one_pass_line_per_check_with_the_sids_and_exits_0() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
        ("TWILIO_PHONE_NUMBER", FROM),
    ];
    let out = voxanne(&sandbox, &["--to", TO], &env).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, id) in lines
        .iter()
        .zip(["account ", "phone ", "generic_sms ", "hot_lead_sms "])
    {
        assert!(line.starts_with(&format!("PASS {id}")), "{line}");
    }
    assert!(
        lines[2].contains(" SM") && lines[3].contains("1 GSM-7 segment"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&account.auth_token) && !text(&out.stderr).contains(&account.auth_token)
    );
}

#[tokio::test]
async fn the_command_reports_json_and_exits_1_on_a_wrong_token_without_printing_it() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let wrong = format!("{}x", account.auth_token);
    let out = voxanne(
        &sandbox,
        &[
            "--json",
            "--account-sid",
            &account.account_sid,
            "--auth-token",
            &wrong,
            "--from",
            FROM,
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checks"][0]["id"], "account");
    assert_eq!(report["checks"][0]["status"], "fail");
    assert_eq!(report["checks"][0]["twilio_code"], 20003);
    assert_eq!(report["checks"][3]["status"], "skip");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(&wrong) && !all.contains(&account.auth_token));
}

#[tokio::test]
async fn the_command_explains_a_trial_account_failure_in_one_line() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Trial").await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
        ("TWILIO_PHONE_NUMBER", FROM),
    ];
    let out = voxanne(&sandbox, &["--to", TO], &env).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let expected = format!(
        "FAIL generic_sms   Trial accounts can only text verified numbers: verify {TO} in the Twilio console"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with(&expected) && l.ends_with("[Twilio error 21608]")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("SKIP hot_lead_sms")),
        "{stdout}"
    );
}

#[tokio::test]
async fn non_e164_numbers_are_usage_errors_that_say_what_to_type() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
    ];
    let out = voxanne(&sandbox, &["--from", "(415) 555-2671"], &env).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: The From number (415) 555-2671 is not in E.164 form: use +14155552671"
    );
    let out = voxanne(
        &sandbox,
        &["--from", FROM, "--to", "+44 20 7946 0958"],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("The To number +44 20 7946 0958 is not in E.164 form: use +442079460958")
    );
    assert!(sandbox.inbox(TO).await.is_empty());
}

#[tokio::test]
async fn missing_credentials_are_usage_errors_naming_the_variable_and_the_flag() {
    let sandbox = TwilioSandbox::start().await;
    let out = voxanne(&sandbox, &["--from", FROM], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: Missing TWILIO_ACCOUNT_SID: set it or pass --account-sid"
    );
    let sid = format!("AC{}", "0".repeat(32));
    let out = voxanne(&sandbox, &["--from", FROM], &[("TWILIO_ACCOUNT_SID", &sid)]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .starts_with("error: Missing TWILIO_AUTH_TOKEN: set it or pass --auth-token")
    );
    let out = voxanne(
        &sandbox,
        &[],
        &[("TWILIO_ACCOUNT_SID", &sid), ("TWILIO_AUTH_TOKEN", "t")],
    )
    .await;
    assert!(
        text(&out.stderr).starts_with("error: Missing TWILIO_PHONE_NUMBER: set it or pass --from")
    );
}

#[tokio::test]
async fn the_command_passes_after_a_429_and_reports_the_retry() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    sandbox.fault(&account, "429", 1).await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
        ("TWILIO_PHONE_NUMBER", FROM),
    ];
    let out = voxanne(&sandbox, &["--to", TO], &env).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.lines().next().unwrap().contains("after 2 tries"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_command_fails_on_a_suspended_account_and_an_unowned_from() {
    let sandbox = TwilioSandbox::start().await;
    let account = sandbox.account("Full").await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
        ("TWILIO_PHONE_NUMBER", FROM),
    ];
    let out = voxanne(&sandbox, &[], &env).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&format!(
        "FAIL phone         The From number {FROM} is not a number of account"
    )));
    sandbox.set_status(&account, "suspended").await;
    let out = voxanne(&sandbox, &[], &env).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("FAIL account "),
        "{}",
        text(&out.stdout)
    );
}
