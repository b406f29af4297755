//! Tenancy: an admin sees only their clinic; another clinic's ids answer 404 and nothing of
//! theirs changes.

use reqwest::StatusCode;
use voxanne::ids::ApiKeyId;

use super::client::Client;
use super::clinic;
use crate::api::app::TestApp;

#[tokio::test]
async fn another_clinics_admins_and_keys_answer_404_and_stay_untouched() {
    let app = TestApp::spawn().await;
    let ours = clinic(&app, "owner@sunrise.example").await;
    let theirs = clinic(&app, "owner@moonrise.example").await;
    let their_admin = app.store.list_users(&theirs.org.id).await.unwrap()[0].clone();
    let their_key: ApiKeyId = app.store.list_api_keys(&theirs.org.id).await.unwrap()[0]
        .id
        .clone();
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&ours).await;

    let paths = [
        format!("/dashboard/team/{}/remove", their_admin.id),
        format!("/dashboard/api-keys/{their_key}/revoke"),
    ];
    for path in &paths {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        let posted = client.post(path, &[("csrf", &csrf)]).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        client
            .get("/dashboard/team/usr_nonsense/remove")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nothing of theirs changed: their admin exists, their key still works.
    assert_eq!(app.store.list_users(&theirs.org.id).await.unwrap().len(), 1);
    let settings = app.get_settings(&theirs.org.key).await;
    assert_eq!(settings.status, StatusCode::OK);
    // And none of it is listed on our pages.
    let team = client.get("/dashboard/team").await;
    assert!(!team.text.contains("moonrise"), "{}", team.text);
}

#[tokio::test]
async fn another_clinics_accounts_messages_and_calendars_answer_404_and_stay_untouched() {
    let app = TestApp::spawn().await;
    let ours = clinic(&app, "owner@sunrise.example").await;
    let theirs = clinic(&app, "owner@moonrise.example").await;
    let account = app.twilio_account("Full", "active").await;
    let credential = app.add_token_credential(&theirs.org, &account).await;
    let sent = app
        .call(
            reqwest::Method::POST,
            "/api/messages",
            Some(&theirs.org.key),
            Some(&serde_json::json!({"to": crate::api::app::random_number(), "body": "hello"})),
        )
        .await;
    let message = sent.body["id"].as_str().unwrap().to_owned();
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&ours).await;

    for path in [
        format!("/dashboard/twilio/{credential}"),
        format!("/dashboard/twilio/{credential}/delete"),
        format!("/dashboard/twilio/{credential}/test-sms/{message}"),
        format!("/dashboard/activity/{message}"),
        format!("/dashboard/calendar/{credential}/disconnect"),
    ] {
        assert_eq!(
            client.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for action in [
        "verify", "primary", "disable", "enable", "secret", "delete", "test-sms",
    ] {
        let path = format!("/dashboard/twilio/{credential}/{action}");
        let posted = client
            .post(&path, &[("csrf", &csrf), ("to", "+14155550123")])
            .await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Their credential is as it was, and none of theirs shows on our pages.
    let theirs_now = app.get_credential(&theirs.org.key, &credential).await;
    assert_eq!(theirs_now.body["is_active"], serde_json::json!(true));
    for page in ["/dashboard/twilio", "/dashboard/activity", "/dashboard"] {
        let text = client.get(page).await.text;
        assert!(
            !text.contains(&credential) && !text.contains(&message),
            "{page}"
        );
    }
}
