//! `POST /api/organization/credentials/{id}/verify` against the sandbox.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{TestApp, random_number};

use crate::support::answer::check_named as check;

#[tokio::test]
async fn a_good_credential_passes_every_check_sends_both_messages_and_is_persisted_as_verified() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&org, &account).await;
    let to = random_number();

    let answer = app.verify(&org.key, &id, &json!({"test_to": to})).await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["status"], "verified", "{}", answer.text);
    for id in ["account", "phone", "generic_sms", "hot_lead_sms"] {
        assert_eq!(check(&answer.body, id)["status"], "pass", "{}", answer.text);
    }
    assert!(answer.body["verified_at"].is_string());
    let stored = app.get_credential(&org.key, &id).await.body;
    assert_eq!(stored["verification_status"], "verified");
    assert_eq!(stored["verified_at"], answer.body["verified_at"]);
    assert_eq!(stored["last_verification"]["checks"], answer.body["checks"]);
    assert!(
        !answer.text.contains(account.sid.as_str())
            && !stored.to_string().contains(account.sid.as_str()),
        "the report shows the Account SID masked, as the credential does: {}",
        answer.text
    );
    let mut received = Vec::new();
    for _ in 0..200 {
        received = app.inbox(&to).await;
        if received.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        received.len(),
        2,
        "the test number should get the plain and the hot-lead SMS"
    );
}

#[tokio::test]
async fn without_test_to_the_message_checks_are_skipped_and_the_credential_still_verifies() {
    let (app, org) = TestApp::with_org().await;
    let id = app.credential(&org).await;

    let answer = app
        .call(
            reqwest::Method::POST,
            &format!("/api/organization/credentials/{id}/verify"),
            Some(&org.key),
            None,
        )
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["status"], "verified");
    assert_eq!(check(&answer.body, "generic_sms")["status"], "skip");
    assert_eq!(check(&answer.body, "hot_lead_sms")["status"], "skip");
}

#[tokio::test]
async fn an_api_key_credential_verifies() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let (key_sid, key_secret) = app.twilio_api_key(&account).await;
    let created = app
        .create_twilio(
            &org.key,
            &json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": key_secret,
                    "from_number": account.number, "verify": true}),
        )
        .await;

    created.assert_status(StatusCode::CREATED);
    assert_eq!(
        created.body["verification_status"], "verified",
        "{}",
        created.text
    );
    assert_eq!(created.body["last_verification"]["status"], "verified");
}

#[tokio::test]
async fn a_wrong_token_fails_with_20003_and_marks_the_credential_failed() {
    let (app, org) = TestApp::with_org().await;
    let mut account = app.full_account().await;
    account.token = format!("{:032x}", rand::random::<u128>());
    let id = app.add_token_credential(&org, &account).await;

    let answer = app.verify(&org.key, &id, &json!({})).await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["status"], "failed");
    let account_check = check(&answer.body, "account");
    assert_eq!(account_check["status"], "fail");
    assert_eq!(account_check["twilio_code"], 20003);
    assert!(
        account_check["message"]
            .as_str()
            .unwrap()
            .starts_with("Twilio rejected the credentials: check the Auth Token"),
        "{account_check}"
    );
    assert!(
        account_check["hint"]
            .as_str()
            .unwrap()
            .contains("Auth Token"),
        "{account_check}"
    );
    assert_eq!(
        app.get_credential(&org.key, &id).await.body["verification_status"],
        "failed"
    );
}

#[tokio::test]
async fn a_suspended_account_fails_the_account_check() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&org, &account).await;
    app.suspend(&account).await;

    let answer = app.verify(&org.key, &id, &json!({})).await;

    assert_eq!(answer.body["status"], "failed", "{}", answer.text);
    assert_eq!(check(&answer.body, "account")["status"], "fail");
    assert_eq!(
        app.get_credential(&org.key, &id).await.body["verification_status"],
        "failed"
    );
}

#[tokio::test]
async fn a_from_number_the_account_does_not_own_fails_the_phone_check() {
    let (app, org) = TestApp::with_org().await;
    let mut account = app.full_account().await;
    account.number = random_number();
    let id = app.add_token_credential(&org, &account).await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": random_number()}))
        .await;

    assert_eq!(answer.body["status"], "failed", "{}", answer.text);
    assert_eq!(check(&answer.body, "account")["status"], "pass");
    assert_eq!(check(&answer.body, "phone")["status"], "fail");
    assert!(check(&answer.body, "phone")["hint"].is_string());
}

#[tokio::test]
async fn a_trial_account_texting_an_unverified_number_fails_with_21608() {
    let (app, org) = TestApp::with_org().await;
    let account = app.twilio_account("Trial", "active").await;
    let id = app.add_token_credential(&org, &account).await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": random_number()}))
        .await;

    assert_eq!(answer.body["status"], "failed", "{}", answer.text);
    let generic = check(&answer.body, "generic_sms");
    assert_eq!(generic["status"], "fail");
    assert_eq!(generic["twilio_code"], 21608);
}

#[tokio::test]
async fn a_test_to_that_is_not_e164_is_refused_naming_the_field() {
    let (app, org) = TestApp::with_org().await;
    let id = app.credential(&org).await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": "(415) 555-2671"}))
        .await;

    answer.assert_invalid("test_to");
    assert_eq!(answer.error()["code"], "invalid_phone_number");
    answer.assert_error_says("message", "+14155552671");
}

#[tokio::test]
async fn a_credential_whose_secrets_no_longer_decrypt_is_reported_plainly_and_never_used() {
    let (app, org) = TestApp::with_org().await;
    let broken = app.credential(&org).await;
    let donor = app.credential(&org).await;
    app.move_secrets(&donor, &broken).await;

    let answer = app.verify(&org.key, &broken, &json!({})).await;

    answer.assert_error(StatusCode::CONFLICT, "credential_undecryptable");
    answer.assert_error_says("message", "cannot be decrypted");
    answer.assert_error_says("hint", "master key");
    assert_eq!(
        app.get_credential(&org.key, &broken).await.body["verification_status"],
        "undecryptable"
    );
    assert_eq!(
        app.verify(&org.key, &donor, &json!({})).await.body["status"],
        "verified"
    );
}
