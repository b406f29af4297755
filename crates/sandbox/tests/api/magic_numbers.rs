//! Test credentials: Twilio's magic numbers, nothing stored, nothing sent.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Creds, assert_twilio_error, messages_path, start_with_account};

const VALID_FROM: &str = "+15005550006";

async fn send_test(
    sandbox: &crate::support::TestSandbox,
    creds: &Creds,
    from: &str,
    to: &str,
) -> reqwest::Response {
    let form = [
        ("To", to),
        ("From", from),
        ("Body", "magic"),
        ("StatusCallback", "http://127.0.0.1:9/cb"),
    ];
    sandbox.send_as_test(creds, &form).await
}

#[tokio::test]
async fn the_magic_from_numbers_fail_with_their_codes() {
    let (sandbox, creds) = start_with_account().await;
    for (from, code) in [
        ("+15005550001", 21212),
        ("+15005550007", 21606),
        ("+15005550008", 21611),
        ("+14155550100", 21606),
    ] {
        let response = send_test(&sandbox, &creds, from, "+14155550199").await;
        assert_twilio_error(response, 400, code).await;
    }
}

#[tokio::test]
async fn the_magic_to_numbers_fail_with_their_codes() {
    let (sandbox, creds) = start_with_account().await;
    for (to, code) in [
        ("+15005550001", 21211),
        ("+15005550002", 21612),
        ("+15005550003", 21408),
        ("+15005550004", 21610),
        ("+15005550009", 21614),
        ("not-a-number", 21211),
    ] {
        let response = send_test(&sandbox, &creds, VALID_FROM, to).await;
        assert_twilio_error(response, 400, code).await;
    }
}

#[tokio::test]
async fn the_valid_magic_from_creates_a_message_that_is_never_stored_or_sent() {
    let (sandbox, creds) = start_with_account().await;
    let to = "+14155550123";

    let response = send_test(&sandbox, &creds, VALID_FROM, to).await;

    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["status"], "queued");
    assert_eq!(message["account_sid"], creds.test_account_sid.as_str());
    assert_eq!(message["from"], VALID_FROM);
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(
        sandbox.inbox(to).await.is_empty(),
        "test credentials must not deliver"
    );
    let listed: Value = sandbox
        .get_json(&creds, &messages_path(&creds.account_sid))
        .await;
    assert_eq!(
        listed["messages"].as_array().unwrap().len(),
        0,
        "test credentials must not store"
    );
}

#[tokio::test]
async fn test_credentials_still_get_the_required_field_checks() {
    let (sandbox, creds) = start_with_account().await;
    let response = sandbox
        .send_as_test(&creds, &[("From", VALID_FROM), ("Body", "x")])
        .await;

    assert_twilio_error(response, 400, 21604).await;
}
