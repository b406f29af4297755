//! `POST …/credentials/{id}/verify` with `test_to` runs the same checks: its test texts are
//! followed to delivery and the stored report keeps their final status and delivery time.

use reqwest::StatusCode;
use sandbox::scenarios;
use serde_json::json;

use crate::api::app::{TestApp, random_number};

use crate::support::answer::check_named as check;

#[tokio::test]
async fn verify_records_the_delivery_time_of_each_test_text() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let account = app.twilio_account("Full", "active").await;
    let id = app.add_token_credential(&org, &account).await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": random_number()}))
        .await;

    assert_eq!(answer.body["status"], "verified", "{}", answer.text);
    for name in ["generic_sms", "hot_lead_sms"] {
        let sent = check(&answer.body, name);
        assert_eq!(sent["final_status"], "delivered", "{sent}");
        assert!(sent["delivery_ms"].as_u64().unwrap() < 5_000, "{sent}");
    }
    let stored = app.get_credential(&org.key, &id).await.body;
    assert_eq!(stored["last_verification"]["checks"], answer.body["checks"]);
}

#[tokio::test]
async fn verify_fails_a_test_text_the_carrier_did_not_deliver_and_keeps_the_reason() {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let account = app.twilio_account("Full", "active").await;
    let id = app.add_token_credential(&org, &account).await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": scenarios::UNREACHABLE}))
        .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["status"], "failed", "{}", answer.text);
    let generic = check(&answer.body, "generic_sms");
    assert_eq!(generic["status"], "fail");
    assert_eq!(generic["twilio_code"], 30003);
    assert_eq!(generic["final_status"], "undelivered");
    assert!(generic.get("delivery_ms").is_none(), "{generic}");
    assert!(
        generic["message"]
            .as_str()
            .unwrap()
            .contains("is unreachable"),
        "{generic}"
    );
    let stored = app.get_credential(&org.key, &id).await.body;
    assert_eq!(stored["verification_status"], "failed");
    assert_eq!(stored["last_verification"]["checks"], answer.body["checks"]);
}
