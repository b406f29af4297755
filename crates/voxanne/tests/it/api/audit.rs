//! `GET /api/organization/audit`: changes made through the API are in the log with the key's
//! name and the caller's address, newest first, filtered by action, paged, one organization only.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::answer::Answer;
use crate::support::app::TestApp;

async fn audit(app: &TestApp, key: &str, query: &str) -> Answer {
    let path = format!("/api/organization/audit{query}");
    app.call(Method::GET, &path, Some(key), None).await
}

#[tokio::test]
async fn changes_through_the_api_are_in_the_audit_log_newest_first_and_only_for_their_clinic() {
    let (app, org) = TestApp::with_org().await;
    let other = app.org().await;
    let id = app.credential(&org).await;
    app.patch_credential(&org.key, &id, &json!({"label": "Front desk"}))
        .await;
    app.put_settings(
        &org.key,
        &json!({"alert_recipients": [], "timezone": "Europe/Berlin"}),
    )
    .await;

    let log = audit(&app, &org.key, "").await;
    let added = audit(&app, &org.key, "?action=credential.added&limit=1").await;
    let theirs = audit(&app, &other.key, "").await;
    let bad = audit(&app, &org.key, "?action=credential.exploded").await;

    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["settings.updated", "credential.updated", "credential.added"],
        "newest first: {}",
        log.text
    );
    let entry = &added.body["entries"][0];
    assert_eq!(entry["action"], "credential.added", "{}", added.text);
    assert_eq!(entry["actor_kind"], "api_key");
    assert_eq!(entry["source_ip"], "127.0.0.1");
    assert!(entry["object"].as_str().unwrap().contains(&id));
    assert_eq!(
        theirs.body["entries"],
        json!([]),
        "another clinic sees none of it"
    );
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error_field(), Some("action"));
}
