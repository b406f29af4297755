//! The connect flow through the consent page: success for browsers and API clients, declining,
//! unticking the calendar scope, and a server without Google configured.

use reqwest::StatusCode;
use serde_json::json;
use url::Url;
use voxanne::google::CALENDAR_LIST_READONLY;

use super::{
    BOTH, authorization_url, clinic_with_google_user, connect, consent, follow, google_credentials,
    param, start,
};
use crate::support::app::TestApp;

#[tokio::test]
async fn connecting_through_the_consent_page_stores_a_verified_google_calendar_credential() {
    let (app, org, email) = clinic_with_google_user().await;

    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;
    let answer = follow(&app, &callback, false, None).await;

    for (name, value) in [
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("code_challenge_method", "S256"),
        ("response_type", "code"),
    ] {
        assert_eq!(param(&url, name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(
        param(&url, "scope").unwrap(),
        voxanne::google::REQUESTED_SCOPES.join(" ")
    );
    assert_eq!(
        param(&url, "redirect_uri").unwrap(),
        format!("{}/oauth/google/callback", app.url)
    );
    assert_eq!(param(&url, "client_id"), app.google_client_id);
    assert!(param(&url, "state").unwrap().len() >= 43);
    answer.assert_status(StatusCode::SEE_OTHER);
    let location = Url::parse(answer.headers["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/dashboard/calendar");
    assert_eq!(param(&location, "google").as_deref(), Some("connected"));
    let id = param(&location, "credential_id").unwrap();
    let credential = app.get_credential(&org.key, &id).await.body;
    assert_eq!(credential["type"], "google_calendar");
    assert_eq!(credential["verification_status"], "verified");
    assert_eq!(credential["google_email"], email);
    let checks: Vec<(&str, &str)> = credential["last_verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        checks,
        [
            ("token", "pass"),
            ("calendar_list", "pass"),
            ("primary_writable", "pass")
        ]
    );
}

#[tokio::test]
async fn an_api_client_finishing_the_flow_gets_the_credential_as_json() {
    let (app, org, email) = clinic_with_google_user().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;
    let callback = consent(&url, "allow", BOTH).await;

    let answer = follow(&app, &callback, true, Some(&org.key)).await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["credential"]["type"], "google_calendar");
    assert_eq!(answer.body["credential"]["verification_status"], "verified");
    assert_eq!(google_credentials(&app, &org.key).await.len(), 1);
}

#[tokio::test]
async fn declining_on_the_consent_page_stores_nothing_and_says_so() {
    let (app, org, email) = clinic_with_google_user().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;

    let callback = consent(&url, "deny", BOTH).await;
    let page = follow(&app, &callback, false, None).await;

    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("access was declined"), "{}", page.text);
    let listed = app.list_credentials(&org.key, "").await;
    assert_eq!(listed.body["credentials"], json!([]));
}

#[tokio::test]
async fn unticking_the_calendar_scope_stores_nothing_and_names_the_permission() {
    let (app, org, email) = clinic_with_google_user().await;
    let url = authorization_url(&app, &org, json!({"login_hint": email})).await;

    let callback = consent(&url, "allow", &[CALENDAR_LIST_READONLY]).await;
    let answer = follow(&app, &callback, true, None).await;

    answer.assert_error(StatusCode::BAD_REQUEST, "calendar_permission_not_granted");
    answer.assert_error_says("message", "Nothing was stored");
    let listed = app.list_credentials(&org.key, "").await;
    assert_eq!(listed.body["credentials"], json!([]));
}

#[tokio::test]
async fn connect_without_google_configured_answers_503_naming_the_settings() {
    let (app, org) = TestApp::with_org().await;

    let answer = start(&app, &org.key, &json!({})).await;

    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let message = answer.error()["message"].as_str().unwrap();
    for setting in [
        "VOXANNE_GOOGLE_CLIENT_ID",
        "VOXANNE_GOOGLE_CLIENT_SECRET",
        "VOXANNE_PUBLIC_URL",
    ] {
        assert!(message.contains(setting), "{message}");
    }
}

#[tokio::test]
async fn a_malformed_connect_body_is_a_422_naming_the_field() {
    let app = TestApp::spawn_with_google().await;
    let org = app.org().await;

    let bad_id = start(&app, &org.key, &json!({"credential_id": "nope"})).await;
    let unknown = start(&app, &org.key, &json!({"scopes": ["x"]})).await;

    assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_id.error_field(), Some("credential_id"));
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_demo_helper_connects_a_calendar_in_process() {
    let (app, org, email) = clinic_with_google_user().await;
    let google = app.google.as_ref().unwrap();

    let credential = voxanne::google_connection::demo::connect_calendar(google, &org.id, &email)
        .await
        .unwrap();

    let shown = app.get_credential(&org.key, credential.id.as_str()).await;
    assert_eq!(shown.body["verification_status"], "verified");
    assert_eq!(shown.body["google_email"], email);
    // The flow through the HTTP callback still works for the same org afterwards, renewing
    // the same account's credential.
    let second = connect(&app, &org, &email).await;
    assert_eq!(second, credential.id.as_str());
}
