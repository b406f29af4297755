//! Adding, reading, updating and deleting credentials.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::TestApp;

#[tokio::test]
async fn adding_a_credential_with_an_auth_token_answers_201_with_the_stored_view() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;

    let answer = app
        .create_twilio(
            &org.key,
            &json!({"label": "Main line", "account_sid": account.sid, "auth_token": account.token, "from_number": account.number}),
        )
        .await;

    answer.assert_status(StatusCode::CREATED);
    let body = &answer.body;
    assert!(body["id"].as_str().unwrap().starts_with("cred_"));
    assert_eq!(body["type"], "twilio");
    assert_eq!(body["label"], "Main line");
    assert_eq!(body["auth_mode"], "auth_token");
    assert_eq!(body["from_number"], account.number.as_str());
    assert_eq!(
        body["secret_last4"],
        &account.token[account.token.len() - 4..]
    );
    let masked = body["account_sid_masked"].as_str().unwrap();
    assert_eq!(
        masked,
        format!("AC{}{}", "•".repeat(28), &account.sid[30..])
    );
    assert_eq!(body["is_active"], true);
    assert_eq!(body["is_primary"], true);
    assert_eq!(body["verification_status"], "unverified");
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());
    assert!(
        !answer.text.contains(&account.sid),
        "the whole Account SID is shown: {}",
        answer.text
    );
}

#[tokio::test]
async fn adding_a_credential_with_an_api_key_and_a_messaging_service_is_stored_in_api_key_mode() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let (key_sid, key_secret) = app.twilio_api_key(&account).await;
    let service = format!("MG{}", "ab12".repeat(8));

    let answer = app
        .create_twilio(
            &org.key,
            &json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": key_secret,
                    "auth_token": account.token, "messaging_service_sid": service}),
        )
        .await;

    answer.assert_status(StatusCode::CREATED);
    assert_eq!(answer.body["auth_mode"], "api_key");
    assert_eq!(answer.body["label"], "Twilio");
    assert_eq!(answer.body["messaging_service_sid"], service.as_str());
    assert_eq!(answer.body["from_number"], serde_json::Value::Null);
    assert_eq!(
        answer.body["secret_last4"],
        &key_secret[key_secret.len() - 4..]
    );
    assert!(
        answer.body["api_key_sid_masked"]
            .as_str()
            .unwrap()
            .ends_with(&key_sid[30..])
    );
    assert!(!answer.text.contains(&key_sid));
}

#[tokio::test]
async fn only_the_first_credential_is_primary_and_making_another_primary_clears_the_first() {
    let (app, org) = TestApp::with_org().await;
    let first = app.credential(&org).await;
    let second = app.credential(&org).await;
    assert_eq!(
        app.get_credential(&org.key, &second).await.body["is_primary"],
        false
    );

    let answer = app
        .patch_credential(&org.key, &second, &json!({"is_primary": true}))
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["is_primary"], true);
    assert_eq!(
        app.get_credential(&org.key, &first).await.body["is_primary"],
        false
    );
    let list = app.list_credentials(&org.key, "").await;
    let primaries = list.body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["is_primary"] == true)
        .count();
    assert_eq!(primaries, 1);
}

#[tokio::test]
async fn deactivating_the_primary_credential_leaves_it_stored_inactive_and_not_primary() {
    let (app, org) = TestApp::with_org().await;
    let id = app.credential(&org).await;

    let answer = app
        .patch_credential(
            &org.key,
            &id,
            &json!({"is_active": false, "label": "Old line"}),
        )
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["is_active"], false);
    assert_eq!(answer.body["is_primary"], false);
    assert_eq!(answer.body["label"], "Old line");
    let refused = app
        .patch_credential(&org.key, &id, &json!({"is_primary": true}))
        .await;
    refused.assert_error(StatusCode::CONFLICT, "inactive_primary");
    let revived = app
        .patch_credential(
            &org.key,
            &id,
            &json!({"is_primary": true, "is_active": true}),
        )
        .await;
    assert_eq!(
        (
            revived.body["is_active"].clone(),
            revived.body["is_primary"].clone()
        ),
        (json!(true), json!(true))
    );
}

#[tokio::test]
async fn deleting_a_credential_answers_204_and_destroys_its_secrets() {
    let (app, org) = TestApp::with_org().await;
    let id = app.credential(&org).await;

    let answer = app.delete_credential(&org.key, &id).await;

    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.text.is_empty());
    assert_eq!(
        app.get_credential(&org.key, &id).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete_credential(&org.key, &id).await.status,
        StatusCode::NOT_FOUND
    );
    let cred_id = voxanne::ids::CredentialId::parse(&id).unwrap();
    assert!(matches!(
        app.store.open_credential_secrets(&org.id, &cred_id).await,
        Err(voxanne::store::StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn listing_can_be_filtered_by_type_and_an_unknown_type_is_named() {
    let (app, org) = TestApp::with_org().await;
    let id = app.credential(&org).await;

    let twilio = app.list_credentials(&org.key, "?type=twilio").await;
    let google = app
        .list_credentials(&org.key, "?type=google_calendar")
        .await;
    let bad = app.list_credentials(&org.key, "?type=fax").await;
    let unknown = app.list_credentials(&org.key, "?kind=twilio").await;

    assert_eq!(twilio.body["credentials"][0]["id"], id.as_str());
    assert_eq!(google.body["credentials"].as_array().unwrap().len(), 0);
    bad.assert_invalid("type");
    unknown.assert_invalid("kind");
}

#[tokio::test]
async fn replacing_the_auth_token_resets_verification_and_updates_the_last4() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let id = app.add_token_credential(&org, &account).await;
    assert_eq!(
        app.verify(&org.key, &id, &json!({})).await.body["status"],
        "verified"
    );
    let new_token = format!("{:032x}", rand::random::<u128>());

    let answer = app
        .patch_credential(&org.key, &id, &json!({"auth_token": new_token}))
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["verification_status"], "unverified");
    assert_eq!(answer.body["last_verification"], serde_json::Value::Null);
    assert_eq!(answer.body["secret_last4"], &new_token[28..]);
    // The sandbox does not know this token: verification now fails, proving it was replaced.
    assert_eq!(
        app.verify(&org.key, &id, &json!({})).await.body["status"],
        "failed"
    );
}

#[tokio::test]
async fn no_secret_appears_in_any_response_raw_base64_or_hex() {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let (key_sid, key_secret) = app.twilio_api_key(&account).await;
    let token_id = app.add_token_credential(&org, &account).await;
    let key_answer = app
        .create_twilio(
            &org.key,
            &json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": key_secret,
                    "auth_token": account.token, "from_number": account.number, "verify": true}),
        )
        .await;
    let key_id = key_answer.body["id"].as_str().unwrap().to_owned();
    let replacement = format!("{:032x}", rand::random::<u128>());

    app.list_credentials(&org.key, "").await;
    app.get_credential(&org.key, &token_id).await;
    app.verify(
        &org.key,
        &token_id,
        &json!({"test_to": crate::support::app::random_number()}),
    )
    .await;
    app.patch_credential(&org.key, &token_id, &json!({"auth_token": replacement}))
        .await;
    app.patch_credential(&org.key, &key_id, &json!({"label": "keyed"}))
        .await;
    app.create_twilio(
        &org.key,
        &json!({"account_sid": account.sid, "auth_token": account.token}),
    )
    .await;
    app.delete_credential(&org.key, &token_id).await;

    let seen = app.everything_seen();
    for secret in [&account.token, &key_secret, &replacement] {
        let encodings = [
            secret.to_string(),
            base64::engine::general_purpose::STANDARD.encode(secret),
            hex::encode(secret),
        ];
        for encoded in encodings {
            assert!(
                !seen.contains(&encoded),
                "a secret ({} chars) leaked into a response",
                encoded.len()
            );
        }
    }
}
