//! The webhooks page (issue 14): an admin adds an endpoint (the secret shown once), sends a test
//! event that a receiver in the test gets and sees its attempt listed, rotates, disables,
//! enables and deletes it; another clinic's endpoints answer 404; forms need the CSRF token.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use reqwest::{Method, StatusCode};
use serde_json::json;
use thirtyfour::prelude::*;

use super::browser::Browser;
use super::client::Client;
use super::{Clinic, clinic};
use crate::api::app::TestApp;

/// A receiver on loopback that answers 200 and counts what it gets.
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/hooks",
        post(move || async move {
            seen.fetch_add(1, Ordering::SeqCst);
            StatusCode::OK
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, count)
}

async fn insecure_app() -> TestApp {
    TestApp::spawn_with(|server| server.allow_insecure_webhooks = true).await
}

async fn sign_in(browser: &Browser, admin: &Clinic) {
    browser.goto("/dashboard/sign-in").await;
    browser.fill("Email", &admin.email).await;
    browser.fill("Password", &admin.password).await;
    browser.press("Sign in").await;
}

#[tokio::test]
async fn an_admin_adds_tests_rotates_disables_and_deletes_a_webhook_endpoint() {
    let app = insecure_app().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    let (url, received) = receiver().await;
    let Some(browser) = Browser::start(&app.url).await else {
        return;
    };
    sign_in(&browser, &admin).await;
    browser.goto("/dashboard/webhooks").await;
    assert!(
        browser
            .main_text()
            .await
            .contains("No webhook endpoints yet.")
    );

    // Without an event ticked, the form says so next to the field and keeps what was typed.
    browser.fill("URL", &url).await;
    browser.press("Add webhook endpoint").await;
    let text = browser.main_text().await;
    assert!(text.contains("Tick at least one event"), "{text}");
    browser.check_page("webhooks-error").await;

    browser.field("message.failed").await.click().await.unwrap();
    browser.fill("Description", "Front-desk system").await;
    browser.press("Add webhook endpoint").await;
    let secret = browser.text_of(By::Id("new-webhook-secret")).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let last4: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    browser.check_page("webhooks-added").await;

    browser.goto("/dashboard/webhooks").await;
    let text = browser.page_text().await;
    assert!(!text.contains(&secret), "a secret is shown only once");
    assert!(text.contains(&format!("…{last4}")), "{text}");
    assert!(
        text.contains("message.failed") && text.contains("enabled"),
        "{text}"
    );

    // A test event reaches the receiver and its attempt is listed.
    browser.press("Send test event").await;
    assert!(
        browser
            .main_text()
            .await
            .contains("A test event is on its way")
    );
    let started = Instant::now();
    while received.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no test event arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = Instant::now();
    loop {
        browser.goto("/dashboard/webhooks").await;
        if browser.main_text().await.contains("HTTP 200") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no attempt listed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.check_page("webhooks").await;

    // A new secret, shown once, replaces the old one's end.
    browser.press("Rotate secret").await;
    let rotated = browser.text_of(By::Id("new-webhook-secret")).await;
    assert_ne!(rotated, secret);

    browser.press("Disable").await;
    let text = browser.main_text().await;
    assert!(
        text.contains("is disabled") && !text.contains("Send test event"),
        "{text}"
    );
    browser.press("Enable").await;
    assert!(browser.main_text().await.contains("is enabled"));

    browser.press("Delete").await;
    browser.check_page("webhooks-delete").await;
    browser.press("Yes, delete").await;
    let text = browser.main_text().await;
    assert!(
        text.contains("is deleted") && text.contains("No webhook endpoints yet."),
        "{text}"
    );
    assert!(
        app.store
            .list_webhook_endpoints(&admin.org.id)
            .await
            .unwrap()
            .is_empty()
    );
    browser.quit().await;
}

#[tokio::test]
async fn another_clinics_endpoints_answer_404_and_posts_without_csrf_are_refused() {
    let app = insecure_app().await;
    let ours = clinic(&app, "owner@sunrise.example").await;
    let theirs = clinic(&app, "owner@moonrise.example").await;
    let (url, _) = receiver().await;
    let answer = app
        .call(
            Method::POST,
            "/api/organization/webhooks",
            Some(&theirs.org.key),
            Some(&json!({"url": url, "events": ["message.failed"]})),
        )
        .await;
    answer.assert_status(StatusCode::CREATED);
    let theirs_id = answer.body["id"].as_str().unwrap().to_owned();
    let mut client = Client::new(&app);
    let csrf = client.sign_in(&ours).await;

    let delete = format!("/dashboard/webhooks/{theirs_id}/delete");
    assert_eq!(client.get(&delete).await.status, StatusCode::NOT_FOUND);
    for action in ["test", "rotate", "disable", "enable", "delete"] {
        let path = format!("/dashboard/webhooks/{theirs_id}/{action}");
        let posted = client.post(&path, &[("csrf", &csrf)]).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{path}");
    }
    let mine = client.get("/dashboard/webhooks").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(!mine.text.contains(&theirs_id), "{}", mine.text);
    let theirs_now = app
        .store
        .list_webhook_endpoints(&theirs.org.id)
        .await
        .unwrap();
    assert_eq!(theirs_now.len(), 1);
    assert!(theirs_now[0].enabled);

    // No token: refused, nothing added.
    let forged = client
        .post(
            "/dashboard/webhooks",
            &[("url", url.as_str()), ("events", "message.failed")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        app.store
            .list_webhook_endpoints(&ours.org.id)
            .await
            .unwrap()
            .is_empty()
    );

    // With it, two events ticked: added, both kept; a bad address is refused next to the field.
    let added = client
        .post(
            "/dashboard/webhooks",
            &[
                ("csrf", &csrf),
                ("url", url.as_str()),
                ("events", "message.failed"),
                ("events", "credential.recheck_failed"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let ours_now = app
        .store
        .list_webhook_endpoints(&ours.org.id)
        .await
        .unwrap();
    assert_eq!(
        ours_now[0].events,
        ["message.failed", "credential.recheck_failed"]
    );
    let refused = client
        .post(
            "/dashboard/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "ftp://nowhere"),
                ("events", "message.failed"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("id=\"webhook-url-error\" role=\"alert\""),
        "{}",
        refused.text
    );
}
