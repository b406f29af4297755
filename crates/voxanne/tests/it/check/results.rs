//! `voxanne check twilio --report PATH`: the Phase 0 test results document, its JSON twin, the
//! exit codes of the new flags, and no secret anywhere.

use sandbox::scenarios;

use super::process::check_twilio;
use super::{FROM, TO, assert_json_usage_error, ready_account, text, token_env};
use crate::support::Sentinel;
use crate::support::twilio_sandbox::TwilioSandbox;

#[tokio::test]
async fn the_report_holds_every_field_and_no_secret_appears_in_it_or_in_any_output() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    // The sandbox hands out a fresh random 32-hex-digit Auth Token: distinctive enough that any
    // appearance, in any encoding, is a leak.
    let token = Sentinel::from_text(&account.auth_token);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phase0.md");
    let env = token_env(&account);

    let out = check_twilio(
        sandbox.url(),
        &["--to", TO, "--json", "--report", path.to_str().unwrap()],
        &env,
    )
    .await;

    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = std::fs::read_to_string(&path).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sid = &account.account_sid;
    let masked = format!("AC{}{}", "•".repeat(28), &sid[sid.len() - 4..]);
    for field in [
        "# Voxanne Phase 0 test results",
        "| Date and time (UTC) | ",
        "| Date and time (local) | ",
        &format!("| Voxanne version | {} |", env!("CARGO_PKG_VERSION")),
        &format!("| Twilio account | {masked}, Full, active, checked with its Auth Token |"),
        &format!("| Sender | {FROM} |"),
        &format!("| Recipient | {TO} |"),
        "| Delivery target | each test text delivered within 5 s |",
        "| Account | PASS | ",
        "| Sender | PASS | ",
        "**PASS**: no check failed; both test texts were delivered within 5 s.",
    ] {
        assert!(doc.contains(field), "missing {field:?} in\n{doc}");
    }
    let started = results["started_at"].as_str().unwrap();
    assert!(doc.contains(&started[..10]), "the date {started} in\n{doc}");
    for (index, title) in [(2, "Generic SMS"), (3, "Hot-lead SMS")] {
        let check = &results["checks"][index];
        assert_eq!(check["final_status"], "delivered");
        let ms = check["delivery_ms"].as_u64().unwrap();
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {title} | PASS | ")))
            .unwrap_or_else(|| panic!("no {title} row in\n{doc}"));
        assert!(
            row.contains(check["message_sid"].as_str().unwrap()),
            "{row}"
        );
        assert!(row.contains("| delivered | "), "{row}");
        let shown = voxanne::check::seconds(std::time::Duration::from_millis(ms));
        assert!(row.ends_with(&format!("| {shown} |")), "{row}");
    }
    assert_eq!(results["account"]["sid_masked"], masked);
    assert_eq!(results["verdict"], "pass");
    assert!(
        !doc.contains(sid.as_str()),
        "the full Account SID in\n{doc}"
    );
    token.assert_absent(doc.as_bytes(), "the report");
    token.assert_absent(&out.stdout, "stdout");
    token.assert_absent(&out.stderr, "stderr");
    assert!(text(&out.stderr).contains("test results written to"));
}

#[tokio::test]
async fn a_failed_run_reports_each_issue_with_its_code_reason_and_fix_and_exits_1() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phase0.md");
    let env = token_env(&account);

    let out = check_twilio(
        sandbox.url(),
        &[
            "--to",
            scenarios::LANDLINE,
            "--report",
            path.to_str().unwrap(),
        ],
        &env,
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("FAIL generic_sms")
            && l.contains("is a landline, or its carrier cannot receive SMS: use a mobile number")
            && l.ends_with("[Twilio error 30006]")),
        "{stdout}"
    );
    let doc = std::fs::read_to_string(&path).unwrap();
    let row = doc
        .lines()
        .find(|l| l.starts_with("| Generic SMS | FAIL | "))
        .unwrap_or_else(|| panic!("{doc}"));
    assert!(row.contains(". Fix: Use a mobile number |"), "{row}");
    assert!(row.contains("| 30006 | undelivered | – |"), "{row}");
    assert!(doc.contains("| Hot-lead SMS | SKIP | "), "{doc}");
    assert!(
        doc.contains(
            "**FAIL**: 1 of 4 checks failed. Issues met:\n\n- Generic SMS: Twilio marked SM"
        ),
        "{doc}"
    );
    Sentinel::from_text(&account.auth_token).assert_absent(doc.as_bytes(), "the report");
}

#[tokio::test]
async fn the_new_flags_keep_the_exit_codes_and_a_bad_report_path_sends_nothing() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let env = token_env(&account);
    let url = sandbox.url();

    let out = check_twilio(url, &["--to", TO, "--no-wait"], &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("not followed to delivery"));

    let out = check_twilio(url, &["--to", scenarios::UNREACHABLE], &env).await;
    assert_eq!(out.status.code(), Some(1));

    for usage in [
        &["--to", TO, "--deliver-within", "0"][..],
        &["--to", TO, "--no-wait", "--deliver-within", "3"],
        &["--to", TO, "--report", "/nonexistent-dir/phase0.md"],
    ] {
        let out = check_twilio(url, usage, &env).await;
        assert_eq!(out.status.code(), Some(2), "{usage:?}");
    }
    let out = check_twilio(
        url,
        &[
            "--to",
            "+14155550142",
            "--json",
            "--report",
            "/nonexistent-dir/r.md",
        ],
        &env,
    )
    .await;
    assert_json_usage_error(&out, "--report: cannot create /nonexistent-dir/r.md");
    assert!(sandbox.inbox("+14155550142").await.is_empty());
}
