//! Account state changes through the control API show in Fetch Account; Messaging Services can
//! be fetched for existence checks.

use serde_json::{Value, json};

use crate::support::{assert_twilio_error, start, start_with_number};

#[tokio::test]
async fn patching_an_account_changes_its_type_and_status() {
    let sandbox = start().await;
    let creds = sandbox.account_with(json!({"type": "Trial"})).await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);
    let before: Value = sandbox.get_json(&creds, &path).await;
    assert_eq!(before["type"], "Trial");

    sandbox
        .patch_account(
            &creds.account_sid,
            json!({"type": "Full", "status": "suspended"}),
        )
        .await;

    let after: Value = sandbox.get_json(&creds, &path).await;
    assert_eq!(
        (after["type"].as_str(), after["status"].as_str()),
        (Some("Full"), Some("suspended"))
    );
    sandbox
        .patch_account(&creds.account_sid, json!({"status": "closed"}))
        .await;
    assert_twilio_error(sandbox.get_as(&creds, &path).await, 401, 20003).await;
}

#[tokio::test]
async fn a_messaging_service_is_found_by_its_account_only() {
    let (sandbox, creds, from) = start_with_number().await;
    let (other, _) = sandbox.account_with_number().await;
    let service = sandbox
        .messaging_service(&creds.account_sid, &[&from])
        .await;
    let path = format!("/v1/Services/{service}");

    let response = sandbox.get_as(&creds, &path).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sid"], service.as_str());
    assert_eq!(body["account_sid"], creds.account_sid.as_str());
    assert!(body["friendly_name"].is_string());

    let (key, secret) = sandbox.api_key(&creds.account_sid).await;
    assert_eq!(sandbox.get(&key, &secret, &path).await.status(), 200);
    assert_twilio_error(sandbox.get_as(&other, &path).await, 404, 20404).await;
    assert_twilio_error(
        sandbox.get(&creds.account_sid, "wrong", &path).await,
        401,
        20003,
    )
    .await;
}
