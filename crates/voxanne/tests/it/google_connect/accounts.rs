//! One Google grant per Google account and OAuth client: Google revokes every token of that
//! account and client at once, so a failed connect, a second connect, a reconnect with the wrong
//! account or a delete must never cut off another working connection of the same account.

use reqwest::StatusCode;
use serde_json::json;
use url::Url;
use voxanne::google::CALENDAR_LIST_READONLY;
use voxanne::store::{CredentialDisplay, CredentialType, NewCredential, SecretField, SecretValue};

use super::{
    BOTH, authorization_url, clinic_with_google_user, connect, connected_clinic, consent, follow,
    google_credentials, google_user, param, revocations,
};
use crate::support::app::{TestApp, TestOrg};

#[tokio::test]
async fn a_consent_without_the_calendar_scope_leaves_a_working_connection_of_the_same_account_alone()
 {
    let (app, org, email, id) = connected_clinic().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;

    let callback = consent(&url, "allow", &[CALENDAR_LIST_READONLY]).await;
    let refused = follow(&app, &callback, true, None).await;
    let report = app.verify(&org.key, &id, &json!({})).await;

    refused.assert_error(StatusCode::BAD_REQUEST, "calendar_permission_not_granted");
    refused.assert_error_says("hint", "tick the calendar boxes");
    assert_eq!(revocations(&app).await, json!([]));
    assert_eq!(report.body["status"], "verified", "{}", report.text);
    assert_eq!(google_credentials(&app, &org.key).await.len(), 1);
}

#[tokio::test]
async fn connecting_the_same_google_account_again_renews_its_credential_instead_of_adding_one() {
    let (app, org, email) = clinic_with_google_user().await;
    let first = connect(&app, &org, &email).await;

    let second = connect(&app, &org, &email).await;
    let listed = google_credentials(&app, &org.key).await;

    assert_eq!(second, first);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["verification_status"], "verified");
    assert_eq!(listed[0]["google_email"], email.as_str());
    assert_eq!(revocations(&app).await, json!([]));
}

/// A second credential of the same Google account with its own tokens from the same grant, as
/// servers before the one-credential-per-account rule could store.
async fn stored_duplicate(app: &TestApp, org: &TestOrg, email: &str) -> String {
    let google = app.google.as_ref().unwrap();
    let (url, verifier) = google.client.authorization_url("duplicate", Some(email));
    let callback: Url = consent(&url, "allow", BOTH).await;
    let code = param(&callback, "code").unwrap();
    let tokens = google.client.exchange_code(&code, &verifier).await.unwrap();
    let new = NewCredential {
        kind: CredentialType::GoogleCalendar,
        label: "Google Calendar".to_owned(),
        display: CredentialDisplay {
            google_email: Some(email.to_owned()),
            calendar_id: Some("primary".to_owned()),
            ..CredentialDisplay::default()
        },
        secrets: vec![
            SecretValue::new(SecretField::RefreshToken, tokens.refresh_token.unwrap()),
            SecretValue::new(SecretField::AccessToken, tokens.access_token),
        ],
    };
    let stored = app.store.insert_credential(&org.id, new).await.unwrap();
    stored.id.as_str().to_owned()
}

#[tokio::test]
async fn deleting_one_of_two_credentials_of_the_same_account_keeps_the_shared_grant_at_google() {
    let (app, org, email) = clinic_with_google_user().await;
    let kept = connect(&app, &org, &email).await;
    let duplicate = stored_duplicate(&app, &org, &email).await;

    let deleted = app.delete_credential(&org.key, &duplicate).await;
    let untouched = revocations(&app).await;
    let report = app.verify(&org.key, &kept, &json!({})).await;
    let last = app.delete_credential(&org.key, &kept).await;

    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.headers["x-google-revocation"], "kept_shared");
    assert_eq!(untouched, json!([]));
    assert_eq!(report.body["status"], "verified", "{}", report.text);
    assert_eq!(last.headers["x-google-revocation"], "revoked");
    assert_eq!(revocations(&app).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reconnecting_a_credential_as_another_google_account_is_refused_and_changes_nothing() {
    let app = TestApp::spawn_with_google().await;
    let org = app.org().await;
    let (expected, other) = (google_user(&app).await, google_user(&app).await);
    let first = connect(&app, &org, &expected).await;
    let second = connect(&app, &org, &other).await;

    let url = authorization_url(
        &app,
        &org,
        json!({"credential_id": first, "login_hint": other}),
    )
    .await;
    let callback = consent(&url, "allow", BOTH).await;
    let refused = follow(&app, &callback, true, Some(&org.key)).await;
    let url = authorization_url(
        &app,
        &org,
        json!({"credential_id": first, "login_hint": other}),
    )
    .await;
    let page = follow(&app, &consent(&url, "allow", BOTH).await, false, None).await;

    refused.assert_error(StatusCode::CONFLICT, "google_account_mismatch");
    let message = refused.error()["message"].as_str().unwrap();
    assert!(
        message.contains(&expected) && message.contains(&other),
        "{message}"
    );
    assert!(
        refused.error()["hint"]
            .as_str()
            .unwrap()
            .contains(&format!("sign in as {expected}")),
        "{}",
        refused.text
    );
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.text.contains(&expected), "{}", page.text);
    let shown = app.get_credential(&org.key, &first).await.body;
    assert_eq!(shown["google_email"], expected.as_str());
    assert_eq!(shown["verification_status"], "verified");
    let other_report = app.verify(&org.key, &second, &json!({})).await;
    assert_eq!(other_report.body["status"], "verified");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 2);
    assert_eq!(revocations(&app).await, json!([]));
}
