//! The `voxanne check twilio` binary: lines, JSON, exit codes, usage errors, no secrets.

use std::process::Output;

use super::process::check_twilio;
use super::{FROM, TO, assert_json_usage_error, ready_account, text, token_env};
use crate::support::twilio_sandbox::TwilioSandbox;

/// Runs `voxanne check twilio ARGS` against the sandbox with only the given Twilio variables set.
async fn voxanne(sandbox: &TwilioSandbox, args: &[&str], env: &[(&str, &str)]) -> Output {
    check_twilio(sandbox.url(), args, env).await
}

#[tokio::test]
async fn the_command_prints_one_pass_line_per_check_with_the_sids_and_exits_0() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let env = token_env(&account);
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
    let env = token_env(&account);
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
async fn non_e164_numbers_fail_their_check_and_say_what_to_type() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let env = [
        ("TWILIO_ACCOUNT_SID", account.account_sid.as_str()),
        ("TWILIO_AUTH_TOKEN", account.auth_token.as_str()),
    ];
    let out = voxanne(&sandbox, &["--from", "(415) 555-2671", "--to", TO], &env).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("PASS account"), "{stdout}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>().join(" "),
        "FAIL phone The From number (415) 555-2671 is not in E.164 form: use +14155552671"
    );
    assert!(lines[2].starts_with("SKIP generic_sms"), "{stdout}");

    let out = voxanne(
        &sandbox,
        &["--from", FROM, "--to", "+44 20 7946 0958", "--json"],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let generic = &report["checks"][2];
    assert_eq!(generic["id"], "generic_sms");
    assert_eq!(generic["status"], "fail");
    assert_eq!(
        generic["message"],
        "The To number +44 20 7946 0958 is not in E.164 form"
    );
    assert_eq!(generic["hint"], "Use +442079460958");
    assert!(sandbox.inbox(TO).await.is_empty());
}

#[tokio::test]
async fn usage_errors_are_json_too_when_json_is_asked_for() {
    let sandbox = TwilioSandbox::start().await;
    let sid = format!("AC{}", "0".repeat(32));
    let out = voxanne(
        &sandbox,
        &["--from", FROM, "--json"],
        &[("TWILIO_ACCOUNT_SID", &sid)],
    )
    .await;
    assert_json_usage_error(
        &out,
        "Missing TWILIO_AUTH_TOKEN: set it or pass --auth-token",
    );
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
    let env = token_env(&account);
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
    let env = token_env(&account);
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
