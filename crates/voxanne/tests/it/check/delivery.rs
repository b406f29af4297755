//! The SMS checks follow each test text to its final status: delivered within the deadline
//! passes with its time, every sandbox scenario phone fails with its code and reason.

use std::time::Duration;

use sandbox::scenarios;
use twilio::MessageStatus;
use voxanne::check::{CheckId, CheckStatus, Delivery, run};

use super::process::{SandboxProcess, check_twilio};
use super::{TO, plan, ready_account, token_env};
use crate::support::twilio_sandbox::TwilioSandbox;

#[tokio::test]
async fn a_text_delivered_within_the_deadline_passes_and_shows_its_delivery_time() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;

    let report = run(&sandbox.client(account.live()), &plan(Some(TO))).await;

    assert!(report.passed(), "{report:#?}");
    for id in [CheckId::GenericSms, CheckId::HotLeadSms] {
        let check = report.get(id).unwrap();
        assert_eq!(check.final_status, Some(MessageStatus::Delivered));
        let ms = check.delivery_ms.expect("a delivery time");
        // The sandbox's carrier takes 3 steps of 5 ms; the first status fetch comes at 100 ms.
        assert!((15..5_000).contains(&ms), "{ms} ms");
        assert!(
            check.message.contains(", delivered in "),
            "{}",
            check.message
        );
    }
    assert_eq!(sandbox.inbox(TO).await.len(), 2);
}

#[tokio::test]
async fn each_scenario_phone_fails_the_generic_sms_with_its_code_and_plain_reason() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let client = sandbox.client(account.live());
    let cases = [
        (scenarios::UNREACHABLE, 30003, "is unreachable"),
        (
            scenarios::UNKNOWN_HANDSET,
            30005,
            "does not exist on its carrier",
        ),
        (scenarios::LANDLINE, 30006, "is a landline"),
        (
            scenarios::CARRIER_FILTERED,
            30007,
            "the carrier filtered the message",
        ),
    ];
    for (phone, code, reason) in cases {
        let report = run(&client, &plan(Some(phone))).await;

        let generic = report.get(CheckId::GenericSms).unwrap();
        assert_eq!(generic.status, CheckStatus::Fail, "{phone}: {generic:#?}");
        assert_eq!(generic.twilio_code, Some(code), "{phone}");
        assert_eq!(generic.final_status, Some(MessageStatus::Undelivered));
        assert_eq!(generic.delivery_ms, None);
        let sid = generic.message_sid.as_deref().unwrap();
        assert!(
            generic
                .message
                .starts_with(&format!("Twilio marked {sid} undelivered: ")),
            "{}",
            generic.message
        );
        assert!(generic.message.contains(reason), "{}", generic.message);
        assert!(generic.hint.is_some(), "{phone}: a fix");
        assert_eq!(
            report.get(CheckId::HotLeadSms).unwrap().message,
            "Skipped: the generic SMS failed"
        );
        assert!(!report.passed());
    }
}

#[tokio::test]
async fn a_text_without_a_delivery_receipt_fails_as_not_confirmed_at_the_deadline() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let mut plan = plan(Some(scenarios::NO_RECEIPT));
    plan.delivery = Delivery::Within(Duration::from_secs(1));
    let started = std::time::Instant::now();

    let report = run(&sandbox.client(account.live()), &plan).await;

    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let generic = report.get(CheckId::GenericSms).unwrap();
    assert_eq!(generic.status, CheckStatus::Fail);
    assert_eq!(generic.final_status, Some(MessageStatus::Sent));
    assert_eq!((generic.twilio_code, generic.delivery_ms), (None, None));
    assert!(
        generic.message.ends_with(
            "but it was not confirmed delivered within 1 s: Twilio still reports it sent (the carrier gave no delivery receipt)"
        ),
        "{}",
        generic.message
    );
    assert!(
        generic
            .hint
            .as_deref()
            .unwrap()
            .contains("delivery receipts")
    );
}

#[tokio::test]
async fn with_no_wait_a_text_passes_at_twilios_acceptance_as_before() {
    let sandbox = TwilioSandbox::start().await;
    let account = ready_account(&sandbox, "Full").await;
    let mut plan = plan(Some(scenarios::UNREACHABLE));
    plan.delivery = Delivery::NoWait;

    let report = run(&sandbox.client(account.live()), &plan).await;

    assert!(report.passed(), "{report:#?}");
    let generic = report.get(CheckId::GenericSms).unwrap();
    assert_eq!(generic.final_status, Some(MessageStatus::Queued));
    assert_eq!(generic.delivery_ms, None);
    assert!(
        generic
            .message
            .ends_with("(status queued; not followed to delivery)"),
        "{}",
        generic.message
    );
}

#[tokio::test]
async fn a_one_second_deadline_fails_against_a_sandbox_stepping_once_a_second() {
    let sandbox = SandboxProcess::start(&["--step-delay-ms", "1000"]).await;
    let account = sandbox.ready_account().await;
    let env = token_env(&account);

    let out = check_twilio(
        &sandbox.url,
        &["--to", TO, "--deliver-within", "1", "--json"],
        &env,
    )
    .await;

    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let generic = &results["checks"][2];
    assert_eq!(generic["id"], "generic_sms");
    assert_eq!(generic["status"], "fail");
    let message = generic["message"].as_str().unwrap();
    assert!(
        message.contains(
            "but it was not confirmed delivered within 1 s: Twilio still reports it queued"
        ),
        "{message}"
    );
    // Three steps of a second each lie between `queued` and `delivered`.
    assert_eq!(generic["final_status"], "queued");
    assert!(generic["delivery_ms"].is_null());
    assert_eq!(results["checks"][3]["status"], "skip");
    assert_eq!(results["deliver_within_ms"], 1000);
}
