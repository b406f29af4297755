//! What a credential request may carry: secrets of Twilio's shape only, and Twilio fields only
//! on Twilio credentials.

use rand::Rng;
use rand::distr::Alphanumeric;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::app::TestApp;

/// 32 random lower-case hex digits (Twilio's Auth Token shape), made at run time.
fn hex32() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// `len` random letters and digits (an API key secret is 32 of them).
fn alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[tokio::test]
async fn auth_tokens_and_api_key_secrets_not_of_twilios_shape_are_refused_naming_the_field_and_the_fix()
 {
    let (app, org) = TestApp::with_org().await;
    let account = app.full_account().await;
    let (key_sid, _) = app.twilio_api_key(&account).await;
    let credential = app.add_token_credential(&org, &account).await;
    let token = hex32();
    let bad_tokens = [
        "short".to_owned(),
        token[..31].to_owned(),
        format!("{token}0"),
        token
            .to_uppercase()
            .replace(|c: char| c.is_ascii_digit(), "A"),
        format!("{}g", &token[..31]),
        alnum(32).replace(|c: char| !c.is_ascii_alphabetic(), "z"),
    ];
    let key_secret = alnum(32);
    let bad_secrets = [
        "short".to_owned(),
        key_secret[..31].to_owned(),
        format!("{key_secret}A"),
        format!("{}-", &key_secret[..31]),
        format!("{} ", &key_secret[..31]),
    ];
    let mut cases: Vec<(&str, Value)> = Vec::new();
    for bad in &bad_tokens {
        cases.push((
            "auth_token",
            json!({"account_sid": account.sid, "auth_token": bad, "from_number": account.number}),
        ));
        cases.push(("auth_token", json!({"auth_token": bad})));
    }
    for bad in &bad_secrets {
        cases.push(("api_key_secret", json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": bad, "from_number": account.number})));
        cases.push((
            "api_key_secret",
            json!({"api_key_sid": key_sid, "api_key_secret": bad}),
        ));
    }

    for (field, body) in cases {
        let answer = if body.get("account_sid").is_some() {
            app.create_twilio(&org.key, &body).await
        } else {
            app.patch_credential(&org.key, &credential, &body).await
        };

        answer.assert_invalid(field);
        assert_eq!(answer.error()["code"], "invalid_secret");
        answer.assert_error_says("message", "32");
        let hint = answer.error()["hint"].as_str().unwrap();
        assert!(
            hint.contains("Twilio console") || hint.contains("API key"),
            "{hint}"
        );
    }
    let listed = app.list_credentials(&org.key, "").await;
    assert_eq!(listed.body["credentials"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn secrets_the_sandbox_issues_and_any_32_hex_token_are_accepted() {
    let (app, org) = TestApp::with_org().await;
    let account = app.twilio_account("Trial", "active").await;
    let (key_sid, key_secret) = app.twilio_api_key(&account).await;

    let with_key = app
        .create_twilio(
            &org.key,
            &json!({"account_sid": account.sid, "api_key_sid": key_sid, "api_key_secret": key_secret,
                    "auth_token": account.token, "from_number": account.number, "verify": true}),
        )
        .await;
    let id = with_key.body["id"].as_str().unwrap().to_owned();
    let replaced = app
        .patch_credential(&org.key, &id, &json!({"auth_token": hex32()}))
        .await;

    with_key.assert_status(StatusCode::CREATED);
    assert_eq!(with_key.body["verification_status"], "verified");
    replaced.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_twilio_field_sent_to_a_google_calendar_credential_is_refused_naming_that_field() {
    let (app, org) = TestApp::with_org().await;
    let google = app
        .store
        .insert_credential(
            &org.id,
            crate::store::google_credential(
                "Calendar",
                SecretString::from(format!("1//{}", hex32())),
            ),
        )
        .await
        .unwrap()
        .id
        .to_string();
    let (key_sid, _) = app.twilio_api_key(&app.full_account().await).await;

    for (field, body) in [
        ("from_number", json!({"from_number": "+14155550100"})),
        (
            "messaging_service_sid",
            json!({"label": "x", "messaging_service_sid": format!("MG{}", hex32())}),
        ),
        (
            "api_key_sid",
            json!({"api_key_sid": key_sid, "api_key_secret": alnum(32)}),
        ),
        (
            "auth_token",
            json!({"auth_token": hex32(), "from_number": "+14155550100"}),
        ),
    ] {
        let answer = app.patch_credential(&org.key, &google, &body).await;

        answer.assert_error(StatusCode::CONFLICT, "not_applicable");
        assert_eq!(answer.error()["field"], field);
        answer.assert_error_says("hint", field);
    }
    assert_eq!(
        app.get_credential(&org.key, &google).await.body["label"],
        "Calendar"
    );
}
