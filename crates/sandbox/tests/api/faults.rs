//! Injected faults: 429 with Retry-After, 500, 503, a hang, a dropped connection, and `process`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Creds, TestSandbox, assert_twilio_error, messages_path, random_number, start, start_with_number,
};

async fn message_count(sandbox: &TestSandbox, creds: &Creds) -> usize {
    let page: Value = sandbox
        .get_json(creds, &messages_path(&creds.account_sid))
        .await;
    page["messages"].as_array().unwrap().len()
}

/// A sandbox whose account has a number and hangs its next request.
async fn hanging() -> (TestSandbox, Creds, String) {
    let (sandbox, creds, from) = start_with_number().await;
    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "hang"}))
        .await;
    (sandbox, creds, from)
}

#[tokio::test]
async fn a_429_fault_answers_20429_with_retry_after_then_the_call_succeeds() {
    let (sandbox, creds, from) = start_with_number().await;
    sandbox.arm_fault(json!({"account_sid": creds.account_sid, "fault": "429", "retry_after": 3, "process": true})).await;
    let form = [
        ("To", "+14155550123"),
        ("From", from.as_str()),
        ("Body", "x"),
    ];

    let limited = sandbox.send(&creds, &form).await;
    assert_eq!(limited.headers()["retry-after"], "3");
    assert_twilio_error(limited, 429, 20429).await;
    assert_eq!(
        message_count(&sandbox, &creds).await,
        0,
        "a 429 is never processed"
    );

    assert_eq!(sandbox.send(&creds, &form).await.status(), 201);
}

#[tokio::test]
async fn faults_500_and_503_hit_the_next_calls_in_turn() {
    let (sandbox, creds, _) = start_with_number().await;
    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "500", "count": 2}))
        .await;
    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "503"}))
        .await;
    let path = messages_path(&creds.account_sid);

    for (status, code) in [(500, 20500), (500, 20500), (503, 20503)] {
        let response = sandbox.get_as(&creds, &path).await;
        assert_twilio_error(response, status, code).await;
    }
    assert_eq!(sandbox.get_as(&creds, &path).await.status(), 200);
}

#[tokio::test]
async fn a_hang_holds_the_request_past_the_client_timeout() {
    let (sandbox, creds, from) = hanging().await;
    let url = sandbox.url(&messages_path(&creds.account_sid));
    let started = Instant::now();

    let result = sandbox
        .http
        .post(url)
        .basic_auth(&creds.account_sid, Some(&creds.auth_token))
        .form(&[
            ("To", "+14155550123"),
            ("From", from.as_str()),
            ("Body", "x"),
        ])
        .timeout(Duration::from_millis(100))
        .send()
        .await;

    let error = result.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(message_count(&sandbox, &creds).await, 0);
}

#[tokio::test]
async fn a_hang_ends_by_dropping_the_connection_after_hang_for() {
    let (sandbox, creds, _) = hanging().await;
    let started = Instant::now();

    let result = sandbox
        .http
        .get(sandbox.url(&messages_path(&creds.account_sid)))
        .basic_auth(&creds.account_sid, Some(&creds.auth_token))
        .send()
        .await;

    assert!(
        result.is_err(),
        "the connection is dropped without an answer"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "held for hang_for"
    );
}

#[tokio::test]
async fn a_close_fault_drops_the_connection_and_process_true_keeps_the_message() {
    let (sandbox, creds, from) = start_with_number().await;
    let to = random_number();
    let form = [("To", to.as_str()), ("From", from.as_str()), ("Body", "x")];

    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "close"}))
        .await;
    let lost = sandbox.send_raw(&creds, &form).await;
    assert!(lost.is_err(), "no answer on a closed connection");
    assert_eq!(
        message_count(&sandbox, &creds).await,
        0,
        "without process the request had no effect"
    );

    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "close", "process": true}))
        .await;
    let lost = sandbox.send_raw(&creds, &form).await;
    assert!(lost.is_err());
    let page: Value = sandbox
        .get_json(
            &creds,
            &format!(
                "{}?To={}",
                messages_path(&creds.account_sid),
                to.replace('+', "%2B")
            ),
        )
        .await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        1,
        "process:true created the message"
    );
}

#[tokio::test]
async fn a_500_with_process_true_still_created_the_message() {
    let (sandbox, creds, from) = start_with_number().await;
    sandbox
        .arm_fault(json!({"account_sid": creds.account_sid, "fault": "500", "process": true}))
        .await;

    let response = sandbox
        .send(
            &creds,
            &[
                ("To", "+14155550123"),
                ("From", from.as_str()),
                ("Body", "x"),
            ],
        )
        .await;

    assert_twilio_error(response, 500, 20500).await;
    assert_eq!(message_count(&sandbox, &creds).await, 1);
}

#[tokio::test]
async fn faults_for_an_unknown_account_are_refused() {
    let sandbox = start().await;
    let unknown = format!("AC{:032x}", rand::random::<u128>());

    let response = sandbox
        .http
        .post(sandbox.url("/sandbox/faults"))
        .json(&json!({"account_sid": unknown, "fault": "500"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
}
