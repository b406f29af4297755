//! Events from real state changes, delivered signed, retried, in order, and verified by the
//! reference library.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{app_with_schedule, hot_lead, message_of, register};
use crate::support::webhook_receiver::{Receiver, reference_verify};

const MESSAGE_EVENTS: &[&str] = &["message.sent", "message.delivered", "message.failed"];

#[tokio::test]
async fn a_hot_leads_sent_then_delivered_events_arrive_in_order_and_verify_with_the_reference_library()
 {
    let app = app_with_schedule("1,1,1").await;
    let org = app.org().await;
    app.credential(&org).await;
    let receiver = Receiver::start().await;
    let (_, secret) = register(&app, &org, &receiver.url, MESSAGE_EVENTS).await;

    let messages = hot_lead(&app, &org).await;

    let got = receiver
        .wait_until(Duration::from_secs(20), "sent and delivered", |got| {
            got.iter()
                .filter(|r| r.kind() == "message.delivered")
                .count()
                == messages.len()
        })
        .await;
    for message in &messages {
        let kinds: Vec<String> = got
            .iter()
            .filter(|r| message_of(&r.json()) == *message)
            .map(|r| r.kind())
            .collect();
        assert_eq!(kinds, ["message.sent", "message.delivered"], "{message}");
    }
    let delivered = got
        .iter()
        .find(|r| r.kind() == "message.delivered")
        .unwrap();
    let body = delivered.json();
    assert_eq!(body["data"]["status"], "delivered");
    assert!(body["timestamp"].is_string());
    assert!(
        !delivered.body.contains("Ana") && !delivered.body.contains("cleaning"),
        "the payload never carries the text's body: {}",
        delivered.body
    );
    // The reference library: the request as sent verifies; a tampered body or a timestamp
    // older than 5 minutes does not.
    let old = (chrono::Utc::now().timestamp() - 600).to_string();
    let old_signature = voxanne::webhooks::signing::sign(
        &secrecy::SecretString::from(secret.clone()),
        &delivered.id,
        old.parse().unwrap(),
        delivered.body.as_bytes(),
    )
    .unwrap();
    let mut stale = delivered.headers();
    stale["webhook-timestamp"] = json!(old);
    stale["webhook-signature"] = json!(old_signature);
    let cases = vec![
        (delivered.headers(), delivered.body.clone()),
        (
            delivered.headers(),
            delivered.body.replace("delivered", "undelivered"),
        ),
        (stale, delivered.body.clone()),
    ];
    if let Some(results) = reference_verify(&secret, &cases) {
        assert_eq!(results[0], "ok");
        assert!(results[1].contains("No matching signature"), "{results:?}");
        assert!(results[2].contains("too old"), "{results:?}");
    }
}

#[tokio::test]
async fn a_receiver_down_for_a_while_then_back_gets_every_event_once_per_id_in_order() {
    let app = app_with_schedule("1,1,1,1,1,1,1,1,1,1,1,1").await;
    let org = app.org().await;
    app.credential(&org).await;
    let receiver = Receiver::start().await;
    register(&app, &org, &receiver.url, MESSAGE_EVENTS).await;
    receiver.answer(503);

    let mut messages = hot_lead(&app, &org).await;
    messages.extend(hot_lead(&app, &org).await);
    // Down long enough for several retries.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!receiver.all().is_empty(), "it was tried while down");
    receiver.answer(200);

    receiver
        .wait_until(Duration::from_secs(30), "every event", |got| {
            got.iter()
                .filter(|r| r.kind() == "message.delivered")
                .count()
                == messages.len()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.accepted();
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "each event accepted once: {ids:?}");
    assert_eq!(got.len(), messages.len() * 2);
    for message in &messages {
        let kinds: Vec<String> = got
            .iter()
            .filter(|r| message_of(&r.json()) == *message)
            .map(|r| r.kind())
            .collect();
        assert_eq!(kinds, ["message.sent", "message.delivered"], "{message}");
    }
    // A retry carries the id of the first attempt.
    let refused: HashSet<String> = receiver
        .all()
        .into_iter()
        .filter(|r| r.answered == 503)
        .map(|r| r.id)
        .collect();
    assert!(refused.iter().all(|id| unique.contains(id.as_str())));
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled_and_says_why() {
    let app = {
        crate::support::app::TestApp::spawn_with(|server| {
            server.allow_insecure_webhooks = true;
            server.webhook_retry_schedule_secs = "1,1,1,1,1,1,1,1".into();
            server.webhook_disable_after_secs = 2;
        })
        .await
    };
    let org = app.org().await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (id, _) = register(&app, &org, &receiver.url, MESSAGE_EVENTS).await;

    let test = app
        .call(
            Method::POST,
            &format!("/api/organization/webhooks/{id}/test"),
            Some(&org.key),
            None,
        )
        .await;
    test.assert_status(StatusCode::ACCEPTED);

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let endpoint = loop {
        let answer = app
            .call(
                Method::GET,
                &format!("/api/organization/webhooks/{id}"),
                Some(&org.key),
                None,
            )
            .await;
        if answer.body["enabled"] == false {
            break answer.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never disabled: {}",
            answer.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        endpoint["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failed for too long")
    );
    let tries = receiver.all().len();
    assert!(tries >= 2, "it was retried before being disabled ({tries})");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.all().len(),
        tries,
        "nothing is sent once it is disabled"
    );
}

#[tokio::test]
async fn a_credential_that_fails_raises_one_event_and_one_verified_when_it_recovers() {
    let app = app_with_schedule("1,1,1").await;
    let org = app.org().await;
    let account = app.full_account().await;
    let credential = app.add_token_credential(&org, &account).await;
    let receiver = Receiver::start().await;
    register(
        &app,
        &org,
        &receiver.url,
        &["credential.verified", "credential.failed"],
    )
    .await;
    app.verify(&org.key, &credential, &json!({}))
        .await
        .assert_status(StatusCode::OK);
    receiver
        .wait_until(Duration::from_secs(10), "credential.verified", |got| {
            got.len() == 1
        })
        .await;

    app.suspend(&account).await;
    for _ in 0..3 {
        app.verify(&org.key, &credential, &json!({}))
            .await
            .assert_status(StatusCode::OK);
    }
    let got = receiver
        .wait_until(Duration::from_secs(10), "credential.failed", |got| {
            got.len() >= 2
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got_now = receiver.accepted();
    assert_eq!(
        got_now.len(),
        2,
        "one event for the incident, not one per check: {got:?}"
    );
    let failed = got_now[1].json();
    assert_eq!(failed["type"], "credential.failed");
    assert_eq!(failed["data"]["credential_id"], credential.as_str());
    assert_eq!(failed["data"]["status"], "failed");
    assert!(failed["data"]["reason"].is_string());

    let path = format!("/accounts/{}", account.sid);
    app.sandbox
        .control(Method::PATCH, &path, json!({"status": "active"}))
        .await;
    app.verify(&org.key, &credential, &json!({}))
        .await
        .assert_status(StatusCode::OK);
    let got = receiver
        .wait_until(
            Duration::from_secs(10),
            "credential.verified again",
            |got| got.len() == 3,
        )
        .await;
    assert_eq!(got[2].kind(), "credential.verified");
}
