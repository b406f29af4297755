//! A connection's life after the connect: tokens refreshed before expiry, a grant revoked at
//! Google turning into `needs_reconnect` and back, deletion revoking the grant, tenancy, and
//! tokens never leaking.

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use voxanne::ids::{CredentialId, OrgId};
use voxanne::store::{SecretField, Store};

use super::{
    BOTH, access_token_ttl, authorization_url, clinic_with_google_user, connect, connected_clinic,
    connected_clinic_with_token_ttl, consent, follow, google_credentials, google_user, revocations,
    revoke_at_google, token_outage,
};
use crate::support::Sentinel;
use crate::support::app::TestApp;
use crate::support::logs::CapturedLogs;

/// The stored access token and its expiry.
async fn stored_access(
    store: &Store,
    org: &OrgId,
    id: &str,
) -> (String, chrono::DateTime<chrono::Utc>) {
    let id = CredentialId::parse(id).unwrap();
    let secrets = store.open_credential_secrets(org, &id).await.unwrap();
    let access = secrets.get_with_expiry(SecretField::AccessToken).unwrap();
    (
        access.value.expose_secret().to_owned(),
        access.expires_at.unwrap(),
    )
}

#[tokio::test]
async fn an_access_token_with_an_hour_left_is_used_as_stored() {
    let (app, org, email) = clinic_with_google_user().await;
    let google = app.google.as_ref().unwrap();
    let id = connect(&app, &org, &email).await;
    let cred = CredentialId::parse(&id).unwrap();
    let (stored, expires) = stored_access(&app.store, &org.id, &id).await;

    let used = google.google_access_token(&org.id, &cred).await.unwrap();
    let (after, _) = stored_access(&app.store, &org.id, &id).await;

    assert!(expires - chrono::Utc::now() > chrono::TimeDelta::minutes(50));
    assert_eq!(used.expose_secret(), stored);
    assert_eq!(after, stored);
}

#[tokio::test]
async fn a_token_close_to_expiry_is_replaced_in_the_store_on_use() {
    let app = TestApp::spawn_with_google().await;
    access_token_ttl(&app, 60).await;
    let org = app.org().await;
    let email = google_user(&app).await;
    let google = app.google.as_ref().unwrap();
    let id = connect(&app, &org, &email).await;
    let cred = CredentialId::parse(&id).unwrap();
    let (issued, expires) = stored_access(&app.store, &org.id, &id).await;

    let used = google.google_access_token(&org.id, &cred).await.unwrap();
    let (stored, _) = stored_access(&app.store, &org.id, &id).await;
    let verified = app.verify(&org.key, &id, &json!({})).await;

    assert!(expires - chrono::Utc::now() < chrono::TimeDelta::minutes(5));
    assert_ne!(
        used.expose_secret(),
        issued,
        "a 60-second token must be refreshed"
    );
    assert_eq!(used.expose_secret(), stored, "the refreshed token is saved");
    assert_eq!(verified.body["status"], "verified", "{}", verified.text);
}

#[tokio::test]
async fn a_grant_revoked_at_google_needs_reconnect_and_reconnecting_the_same_credential_verifies_it()
 {
    let (app, org, email, id) = connected_clinic().await;
    revoke_at_google(&app, &email).await;

    let report = app.verify(&org.key, &id, &json!({})).await;
    let marked = app.get_credential(&org.key, &id).await;
    let google = app.google.as_ref().unwrap();
    let refused = google
        .google_access_token(&org.id, &CredentialId::parse(&id).unwrap())
        .await;

    report.assert_status(StatusCode::OK);
    assert_eq!(report.body["status"], "needs_reconnect");
    let failed: Vec<&Value> = report.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{}", report.text);
    assert!(failed[0]["hint"].as_str().unwrap().contains(&id));
    assert_eq!(marked.body["verification_status"], "needs_reconnect");
    assert!(refused.is_err());

    let url = authorization_url(
        &app,
        &org,
        json!({"credential_id": id, "login_hint": email}),
    )
    .await;
    let callback = consent(&url, "allow", BOTH).await;
    let answer = follow(&app, &callback, true, Some(&org.key)).await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["credential"]["id"], id.as_str());
    assert_eq!(answer.body["credential"]["verification_status"], "verified");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_google_credential_revokes_the_grant_at_google_and_destroys_the_tokens() {
    let (app, org, email, id) = connected_clinic().await;

    let deleted = app.delete_credential(&org.key, &id).await;
    let revocations = revocations(&app).await;
    let gone = app.get_credential(&org.key, &id).await;

    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.headers["x-google-revocation"], "revoked");
    assert_eq!(revocations.as_array().unwrap().len(), 1, "{revocations}");
    assert_eq!(revocations[0]["email"], email.as_str());
    assert_eq!(revocations[0]["via"], "refresh_token");
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_organization_cannot_see_use_verify_reconnect_or_delete_the_credential() {
    let app = TestApp::spawn_with_google().await;
    let (owner, other) = (app.org().await, app.org().await);
    let email = google_user(&app).await;
    let id = connect(&app, &owner, &email).await;

    let answers = [
        app.get_credential(&other.key, &id).await,
        app.verify(&other.key, &id, &json!({})).await,
        app.patch_credential(&other.key, &id, &json!({"label": "mine"}))
            .await,
        super::start(&app, &other.key, &json!({"credential_id": id})).await,
        app.delete_credential(&other.key, &id).await,
    ];

    for answer in &answers {
        answer.assert_status(StatusCode::NOT_FOUND);
    }
    let listed = app.list_credentials(&other.key, "").await;
    assert_eq!(listed.body["credentials"], json!([]));
    let revocations = revocations(&app).await;
    assert_eq!(revocations, json!([]));
    let still = app.get_credential(&owner.key, &id).await;
    assert_eq!(still.body["verification_status"], "verified");
}

#[tokio::test(flavor = "current_thread")]
async fn tokens_never_appear_in_responses_logs_or_database_files() {
    let logs = CapturedLogs::start();
    let (app, org, _, id) = connected_clinic_with_token_ttl(60).await;
    let cred = CredentialId::parse(&id).unwrap();
    let (first_access, _) = stored_access(&app.store, &org.id, &id).await;
    let verified = app.verify(&org.key, &id, &json!({})).await;
    app.get_credential(&org.key, &id).await;
    app.list_credentials(&org.key, "").await;

    let secrets = app
        .store
        .open_credential_secrets(&org.id, &cred)
        .await
        .unwrap();
    let refresh = secrets
        .get(SecretField::RefreshToken)
        .unwrap()
        .expose_secret()
        .to_owned();
    let (access, _) = stored_access(&app.store, &org.id, &id).await;
    let text = String::from_utf8(logs.bytes()).unwrap();

    assert_eq!(verified.body["status"], "verified");
    assert_ne!(
        first_access, access,
        "the verify refreshed the short-lived token"
    );
    assert!(
        text.contains("Google access token refreshed"),
        "the capture saw no logs: {text}"
    );
    for token in [&refresh, &first_access, &access] {
        let sentinel = Sentinel::from_text(token);
        sentinel.assert_absent(app.everything_seen().as_bytes(), "API responses");
        sentinel.assert_absent(text.as_bytes(), "trace-level logs");
        sentinel.assert_absent(&app.db.raw_copy(), "the database files");
    }
}

#[tokio::test]
async fn a_transient_token_endpoint_failure_is_retried_and_the_refresh_succeeds() {
    let (app, org, _, id) = connected_clinic_with_token_ttl(60).await;
    let (issued, _) = stored_access(&app.store, &org.id, &id).await;
    token_outage(&app, 1).await;

    let used = app
        .google
        .as_ref()
        .unwrap()
        .google_access_token(&org.id, &CredentialId::parse(&id).unwrap())
        .await
        .unwrap();

    assert_ne!(used.expose_secret(), issued);
    let shown = app.get_credential(&org.key, &id).await;
    assert_eq!(shown.body["verification_status"], "verified");
}

#[tokio::test]
async fn verifying_a_google_credential_refuses_test_to() {
    let (app, org, _, id) = connected_clinic().await;

    let answer = app
        .verify(&org.key, &id, &json!({"test_to": "+14155550100"}))
        .await;

    answer.assert_error(StatusCode::CONFLICT, "not_applicable");
    assert_eq!(answer.error()["field"], "test_to");
}
