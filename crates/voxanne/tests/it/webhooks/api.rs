//! The endpoints API: registration rules, tenancy, the secret shown once, rotation, test events,
//! attempts and replay.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{app_with_schedule, register};
use crate::support::app::TestApp;
use crate::support::webhook_receiver::{Receiver, reference_verify};

/// The endpoint's attempts once there is one: the receiver has the request before the sender has
/// recorded its answer.
async fn recorded_attempts(app: &TestApp, key: &str, id: &str) -> crate::support::answer::Answer {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let path = format!("/api/organization/webhooks/{id}/attempts");
        let attempts = app.call(Method::GET, &path, Some(key), None).await;
        attempts.assert_status(StatusCode::OK);
        if attempts.body["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            return attempts;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn registering_refuses_plain_http_internal_addresses_and_unknown_events_without_calling_out()
{
    let app = TestApp::spawn().await; // insecure webhooks off: the production rule
    let org = app.org().await;
    let post = |body: serde_json::Value| {
        let app = &app;
        let key = org.key.clone();
        async move {
            app.call(
                Method::POST,
                "/api/organization/webhooks",
                Some(&key),
                Some(&body),
            )
            .await
        }
    };
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
        "https://localhost/x",
    ] {
        post(json!({"url": url, "events": ["message.sent"]}))
            .await
            .assert_invalid("url");
    }
    post(json!({"url": "https://hooks.example.com/x", "events": ["message.sent", "message.read"]}))
        .await
        .assert_invalid("events");
    post(json!({"url": "https://hooks.example.com/x", "events": []}))
        .await
        .assert_invalid("events");
    // A public https URL is accepted with no network call (this name does not even resolve).
    let answer =
        post(json!({"url": "https://hooks.voxanne-test.invalid/x", "events": ["message.sent"]}))
            .await;
    answer.assert_status(StatusCode::CREATED);
    assert!(
        answer.body["secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
}

#[tokio::test]
async fn the_secret_is_shown_once_and_lists_show_its_last_four_characters() {
    let app = app_with_schedule("1").await;
    let org = app.org().await;
    let (id, secret) = register(&app, &org, "http://127.0.0.1:9/x", &["message.sent"]).await;

    let list = app
        .call(
            Method::GET,
            "/api/organization/webhooks",
            Some(&org.key),
            None,
        )
        .await;
    list.assert_status(StatusCode::OK);
    let one = app
        .call(
            Method::GET,
            &format!("/api/organization/webhooks/{id}"),
            Some(&org.key),
            None,
        )
        .await;
    for answer in [&list, &one] {
        assert!(!answer.text.contains(&secret[6..]), "{}", answer.text);
        assert!(!answer.text.contains("whsec_"), "{}", answer.text);
    }
    assert_eq!(list.body["webhooks"][0]["id"], id.as_str());
    assert_eq!(one.body["secret_last4"], &secret[secret.len() - 4..]);
    let audit = app
        .call(Method::GET, "/api/organization/audit", Some(&org.key), None)
        .await;
    assert!(audit.text.contains("webhook.added"), "{}", audit.text);
}

#[tokio::test]
async fn another_organizations_endpoint_and_attempts_answer_404() {
    let app = app_with_schedule("1").await;
    let (owner, other) = (app.org().await, app.org().await);
    let receiver = Receiver::start().await;
    let (id, _) = register(&app, &owner, &receiver.url, &["message.sent"]).await;
    app.call(
        Method::POST,
        &format!("/api/organization/webhooks/{id}/test"),
        Some(&owner.key),
        None,
    )
    .await
    .assert_status(StatusCode::ACCEPTED);
    receiver
        .wait_until(Duration::from_secs(10), "the test event", |got| {
            got.len() == 1
        })
        .await;
    let attempts = recorded_attempts(&app, &owner.key, &id).await;
    let attempt = attempts.body["attempts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for (method, path) in [
        (Method::GET, format!("/api/organization/webhooks/{id}")),
        (Method::PATCH, format!("/api/organization/webhooks/{id}")),
        (Method::DELETE, format!("/api/organization/webhooks/{id}")),
        (
            Method::POST,
            format!("/api/organization/webhooks/{id}/rotate-secret"),
        ),
        (
            Method::POST,
            format!("/api/organization/webhooks/{id}/test"),
        ),
        (
            Method::GET,
            format!("/api/organization/webhooks/{id}/attempts"),
        ),
        (
            Method::POST,
            format!("/api/organization/webhooks/{id}/attempts/{attempt}/replay"),
        ),
    ] {
        let answer = app
            .call(method.clone(), &path, Some(&other.key), Some(&json!({})))
            .await;
        answer.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let list = app
        .call(
            Method::GET,
            "/api/organization/webhooks",
            Some(&other.key),
            None,
        )
        .await;
    assert_eq!(list.body["webhooks"], json!([]));
}

#[tokio::test]
async fn a_test_event_is_attempted_and_its_attempt_replays_under_the_same_id() {
    let app = app_with_schedule("1").await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, secret) = register(&app, &org, &receiver.url, &["message.sent"]).await;

    let queued = app
        .call(
            Method::POST,
            &format!("/api/organization/webhooks/{id}/test"),
            Some(&org.key),
            None,
        )
        .await;
    queued.assert_status(StatusCode::ACCEPTED);
    let first = receiver
        .wait_until(Duration::from_secs(10), "the test event", |got| {
            got.len() == 1
        })
        .await;
    assert_eq!(first[0].kind(), "webhook.test");
    assert_eq!(first[0].id, queued.body["event_id"].as_str().unwrap());

    let attempts = recorded_attempts(&app, &org.key, &id).await;
    let attempt = &attempts.body["attempts"][0];
    let mut keys: Vec<&str> = attempt
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "at",
            "event_id",
            "id",
            "latency_ms",
            "response_excerpt",
            "status_code"
        ]
    );
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["event_id"], first[0].id.as_str());

    let replay = app
        .call(
            Method::POST,
            &format!(
                "/api/organization/webhooks/{id}/attempts/{}/replay",
                attempt["id"].as_str().unwrap()
            ),
            Some(&org.key),
            None,
        )
        .await;
    replay.assert_status(StatusCode::ACCEPTED);
    let both = receiver
        .wait_until(Duration::from_secs(10), "the replay", |got| got.len() == 2)
        .await;
    assert_eq!(both[1].id, both[0].id, "a replay keeps the event id");
    assert_eq!(both[1].body, both[0].body, "and the same body");
    if let Some(results) = reference_verify(&secret, &[(both[1].headers(), both[1].body.clone())]) {
        assert_eq!(results, ["ok"]);
    }
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_so_the_receiver_can_switch_without_a_gap() {
    let app = app_with_schedule("1").await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, old) = register(&app, &org, &receiver.url, &["message.sent"]).await;

    let rotated = app
        .call(
            Method::POST,
            &format!("/api/organization/webhooks/{id}/rotate-secret"),
            Some(&org.key),
            None,
        )
        .await;
    rotated.assert_status(StatusCode::OK);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    app.call(
        Method::POST,
        &format!("/api/organization/webhooks/{id}/test"),
        Some(&org.key),
        None,
    )
    .await
    .assert_status(StatusCode::ACCEPTED);

    let got = receiver
        .wait_until(Duration::from_secs(10), "the test event", |got| {
            got.len() == 1
        })
        .await;
    assert_eq!(
        got[0].signature.split(' ').count(),
        2,
        "{}",
        got[0].signature
    );
    let case = [(got[0].headers(), got[0].body.clone())];
    for secret in [&new, &old] {
        if let Some(results) = reference_verify(secret, &case) {
            assert_eq!(results, ["ok"], "verifies with {}", &secret[..8]);
        }
    }
}

#[tokio::test]
async fn disabling_an_endpoint_stops_its_deliveries_and_enabling_starts_afresh() {
    let app = app_with_schedule("1").await;
    let org = app.org().await;
    let receiver = Receiver::start().await;
    let (id, _) = register(&app, &org, &receiver.url, &["message.sent"]).await;
    let path = format!("/api/organization/webhooks/{id}");

    let off = app
        .call(
            Method::PATCH,
            &path,
            Some(&org.key),
            Some(&json!({"enabled": false})),
        )
        .await;
    off.assert_status(StatusCode::OK);
    assert_eq!(off.body["enabled"], false);
    app.call(Method::POST, &format!("{path}/test"), Some(&org.key), None)
        .await
        .assert_error(StatusCode::CONFLICT, "webhook_disabled");
    let on = app
        .call(
            Method::PATCH,
            &path,
            Some(&org.key),
            Some(&json!({"enabled": true, "events": ["message.failed"], "description": "backend"})),
        )
        .await;
    on.assert_status(StatusCode::OK);
    assert_eq!(on.body["events"], json!(["message.failed"]));
    assert_eq!(on.body["description"], "backend");
    app.call(
        Method::PATCH,
        &path,
        Some(&org.key),
        Some(&json!({"url": "http://10.0.0.1/x"})),
    )
    .await
    .assert_invalid("url");
    app.call(Method::DELETE, &path, Some(&org.key), None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.call(Method::GET, &path, Some(&org.key), None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
