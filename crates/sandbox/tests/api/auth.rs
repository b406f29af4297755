//! HTTP Basic auth in both modes, and the ways it fails.

use serde_json::{Value, json};

use crate::support::{
    assert_twilio_error, messages_path, start, start_with_account, start_with_number,
};

#[tokio::test]
async fn account_sid_and_auth_token_fetch_the_account() {
    let sandbox = start().await;
    let creds = sandbox
        .account_with(json!({"friendly_name": "Clinic"}))
        .await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);

    let response = sandbox.get_as(&creds, &path).await;

    assert_eq!(response.status(), 200);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["sid"], creds.account_sid.as_str());
    assert_eq!(account["status"], "active");
    assert_eq!(account["type"], "Full");
    assert_eq!(account["friendly_name"], "Clinic");
    assert_eq!(account["uri"], path);
}

#[tokio::test]
async fn an_api_key_lists_messages_with_the_account_sid_in_the_path() {
    let (sandbox, creds, _) = start_with_number().await;
    let (key, secret) = sandbox.api_key(&creds.account_sid).await;

    let response = sandbox
        .get(&key, &secret, &messages_path(&creds.account_sid))
        .await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_api_key_cannot_fetch_the_account() {
    let (sandbox, creds) = start_with_account().await;
    let (key, secret) = sandbox.api_key(&creds.account_sid).await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);

    let response = sandbox.get(&key, &secret, &path).await;

    assert_twilio_error(response, 401, 20003).await;
}

#[tokio::test]
async fn a_wrong_token_gets_twilios_exact_401_body_and_challenge() {
    let (sandbox, creds) = start_with_account().await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);

    let response = sandbox
        .get(&creds.account_sid, "not-the-token", &path)
        .await;

    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"Twilio API\""
    );
    let body = response.text().await.unwrap();
    assert_eq!(
        body,
        r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#
    );
}

#[tokio::test]
async fn missing_credentials_and_a_wrong_key_secret_are_rejected() {
    let (sandbox, creds) = start_with_account().await;
    let (key, _) = sandbox.api_key(&creds.account_sid).await;
    let path = messages_path(&creds.account_sid);

    let anonymous = sandbox.get_plain(&path).await;
    assert_twilio_error(anonymous, 401, 20003).await;
    let wrong_secret = sandbox.get(&key, "wrong", &path).await;
    assert_twilio_error(wrong_secret, 401, 20003).await;
}

#[tokio::test]
async fn another_accounts_sid_in_the_path_is_rejected() {
    let (sandbox, mine) = start_with_account().await;
    let theirs = sandbox.account_with(json!({})).await;

    let response = sandbox
        .get_as(&mine, &messages_path(&theirs.account_sid))
        .await;

    assert_twilio_error(response, 401, 20003).await;
}

#[tokio::test]
async fn a_suspended_account_can_be_fetched_but_not_used() {
    let (sandbox, creds, from) = start_with_number().await;
    sandbox
        .patch_account(&creds.account_sid, json!({"status": "suspended"}))
        .await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);

    let account: Value = sandbox.get_json(&creds, &path).await;
    assert_eq!(account["status"], "suspended");

    let send = sandbox.text(&creds, "+14155550100", &from, "hi").await;
    assert_twilio_error(send, 403, 20403).await;
    let list = sandbox
        .get_as(&creds, &messages_path(&creds.account_sid))
        .await;
    assert_twilio_error(list, 403, 20403).await;
}

#[tokio::test]
async fn a_closed_account_no_longer_authenticates() {
    let sandbox = start().await;
    let creds = sandbox.account_with(json!({"status": "closed"})).await;
    let path = format!("/2010-04-01/Accounts/{}.json", creds.account_sid);

    let response = sandbox.get_as(&creds, &path).await;

    assert_twilio_error(response, 401, 20003).await;
}

#[tokio::test]
async fn test_credentials_cannot_reach_any_resource_but_create_message() {
    let (sandbox, creds) = start_with_account().await;
    let (user, token) = (
        creds.test_account_sid.as_str(),
        creds.test_auth_token.as_str(),
    );
    let base = format!("/2010-04-01/Accounts/{user}");

    for path in [
        format!("{base}.json"),
        format!("{base}/Messages.json"),
        format!("{base}/IncomingPhoneNumbers.json"),
        format!("{base}/Messages/SM{}.json", "0".repeat(32)),
    ] {
        let response = sandbox.get(user, token, &path).await;
        let body = assert_twilio_error(response, 403, 20008).await;
        assert_eq!(
            body["message"],
            "Resource not accessible with Test Account Credentials"
        );
    }
}
