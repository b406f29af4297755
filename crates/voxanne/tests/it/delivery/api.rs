//! The Sending API over real HTTP: the server (with its dispatcher), a fresh database and the
//! sandbox, as the receptionist backend uses them.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::Fetch;
use crate::support::answer::Answer;
use crate::support::app::{TestApp, TestOrg, random_number};

/// A running server and an organization whose Twilio credential can send.
async fn ready() -> (TestApp, TestOrg) {
    let app = TestApp::spawn().await;
    let org = ready_org(&app).await;
    (app, org)
}

async fn ready_org(app: &TestApp) -> TestOrg {
    let org = app.org().await;
    let account = app.full_account().await;
    app.add_token_credential(&org, &account).await;
    org
}

async fn post(app: &TestApp, org: &TestOrg, path: &str, body: &Value, key: Option<&str>) -> Answer {
    let mut request = app
        .client
        .post(format!("{}{path}", app.url))
        .bearer_auth(&org.key)
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    app.answer(request).await
}

/// `POST /api/messages` without an idempotency key.
async fn send_sms(app: &TestApp, org: &TestOrg, body: &Value) -> Answer {
    post(app, org, "/api/messages", body, None).await
}

async fn get(app: &TestApp, org: &TestOrg, path: &str) -> Answer {
    app.call(Method::GET, path, Some(&org.key), None).await
}

/// Polls `GET /api/messages/{id}` until it reports `status`.
async fn wait_for(app: &TestApp, org: &TestOrg, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = get(app, org, &format!("/api/messages/{id}")).await;
        answer.assert_status(StatusCode::OK);
        if answer.body["status"] == status {
            return answer.body;
        }
        assert!(Instant::now() < deadline, "stuck: {}", answer.text);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_hot_lead_reaches_every_alert_recipient_and_is_tracked_to_delivered() {
    let (app, org) = ready().await;
    let staff = [random_number(), random_number()];
    let settings = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": staff, "timezone": "America/New_York"}),
        )
        .await;
    settings.assert_status(StatusCode::OK);
    let lead = json!({"lead": {"name": "José Núñez 👋", "phone": "+14155550123", "reason": "new patient cleaning", "preferred_time": "tomorrow 9am"}});

    let answer = post(&app, &org, "/api/messages/hot-lead", &lead, None).await;

    answer.assert_status(StatusCode::ACCEPTED);
    let messages = answer.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    for (message, phone) in messages.iter().zip(&staff) {
        assert!(message["id"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(message["status"], "queued");
        assert_eq!(message["to"], phone.as_str());
        assert_eq!(message["segments"], 1, "a hot lead fits one GSM-7 segment");
        let done = wait_for(&app, &org, message["id"].as_str().unwrap(), "delivered").await;
        assert!(done["twilio_sid"].as_str().unwrap().starts_with("SM"));
        let kinds: Vec<&str> = done["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        // Twilio's first callback can be handled before the dispatcher commits Twilio's answer
        // (the callback does not need the SID), so only "accepted" has a fixed place.
        assert_eq!(kinds[0], "accepted");
        assert!(kinds.contains(&"sent_to_twilio"), "{kinds:?}");
        assert!(kinds.contains(&"status"), "{kinds:?}");
        let inbox = app.inbox(phone).await;
        assert_eq!(inbox.len(), 1);
        let text = inbox[0]["body"].as_str().unwrap();
        assert!(
            text.contains("Nuñez") && text.contains("+14155550123") && !text.contains('👋'),
            "{text}"
        );
    }
}

#[tokio::test]
async fn forty_concurrent_requests_without_a_key_are_each_committed_and_sent_once() {
    // Concurrent sends share group commits: every 202 must still be its own committed message.
    let (app, org) = ready().await;
    let mut phones = std::collections::BTreeSet::new();
    while phones.len() < 40 {
        phones.insert(random_number());
    }
    let bodies: Vec<Value> = phones
        .iter()
        .map(|to| json!({"to": to, "body": format!("Reminder for {to}")}))
        .collect();

    let answers = futures::future::join_all(bodies.iter().map(|b| send_sms(&app, &org, b))).await;

    let mut ids = std::collections::HashSet::new();
    for (answer, to) in answers.iter().zip(&phones) {
        answer.assert_status(StatusCode::ACCEPTED);
        assert_eq!(answer.body["to"], to.as_str());
        let id = answer.body["id"].as_str().unwrap().to_owned();
        let stored = get(&app, &org, &format!("/api/messages/{id}")).await;
        stored.assert_status(StatusCode::OK);
        assert!(ids.insert(id));
    }
    for id in &ids {
        wait_for(&app, &org, id, "delivered").await;
    }
    for to in &phones {
        let inbox = app.inbox(to).await;
        assert_eq!(inbox.len(), 1, "exactly one text to {to}");
        assert_eq!(inbox[0]["body"], format!("Reminder for {to}"));
    }
}

#[tokio::test]
async fn fifty_concurrent_identical_requests_send_one_text() {
    let (app, org) = ready().await;
    let to = random_number();
    let body = json!({"to": to, "body": "Your appointment is confirmed"});

    let answers = futures::future::join_all(
        (0..50).map(|_| post(&app, &org, "/api/messages", &body, Some("confirm-7731"))),
    )
    .await;
    let other_body = post(
        &app,
        &org,
        "/api/messages",
        &json!({"to": to, "body": "Something else"}),
        Some("confirm-7731"),
    )
    .await;

    let ids: std::collections::HashSet<&str> = answers
        .iter()
        .map(|a| {
            a.assert_status(StatusCode::ACCEPTED);
            a.body["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every duplicate answers the first message");
    assert_eq!(other_body.status, StatusCode::CONFLICT);
    assert_eq!(other_body.error()["code"], "idempotency_key_reused");
    let id = ids.into_iter().next().unwrap();
    wait_for(&app, &org, id, "delivered").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.inbox(&to).await.len(), 1, "exactly one text");
    let listed = get(&app, &org, "/api/messages").await;
    assert_eq!(listed.body["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sending_without_a_usable_credential_is_refused_and_queues_nothing() {
    let (app, org) = TestApp::with_org().await;

    let no_credential = send_sms(&app, &org, &json!({"to": random_number(), "body": "hi"})).await;
    let no_recipients = {
        let account = app.full_account().await;
        app.add_token_credential(&org, &account).await;
        post(
            &app,
            &org,
            "/api/messages/hot-lead",
            &json!({"lead": {"name": "A", "phone": "+14155550123", "reason": "x"}}),
            None,
        )
        .await
    };
    let bad_number = send_sms(&app, &org, &json!({"to": "(415) 555-0123", "body": "hi"})).await;
    let unknown_credential =
        send_sms(&app, &org, &json!({"to": random_number(), "body": "hi", "credential_id": "cred_00000000000000000000000000"})).await;

    assert_eq!(no_credential.status, StatusCode::CONFLICT);
    assert_eq!(no_credential.error()["code"], "no_twilio_credential");
    no_credential.assert_error_says("hint", "/api/organization/credentials/twilio");
    assert_eq!(no_recipients.status, StatusCode::CONFLICT);
    assert_eq!(no_recipients.error_field(), Some("to"));
    bad_number.assert_invalid("to");
    bad_number.assert_error_says("message", "+14155550123");
    assert_eq!(unknown_credential.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_credential.error()["code"], "credential_not_found");
    let listed = get(&app, &org, "/api/messages").await;
    assert_eq!(listed.body["messages"], json!([]), "nothing was queued");
}

#[tokio::test]
async fn an_explicit_empty_recipient_list_is_refused_even_with_alert_recipients() {
    let (app, org) = ready().await;
    let settings = app
        .put_settings(
            &org.key,
            &json!({"alert_recipients": [random_number()], "timezone": "America/New_York"}),
        )
        .await;
    settings.assert_status(StatusCode::OK);

    let answer = post(
        &app,
        &org,
        "/api/messages/hot-lead",
        &json!({"lead": {"name": "A", "phone": "+14155550123", "reason": "x"}, "to": []}),
        None,
    )
    .await;

    answer.assert_invalid("to");
    let message = answer.error()["message"].as_str().unwrap();
    assert!(message.contains("at least one"), "{}", answer.text);
    assert!(!message.contains("no alert_recipients"), "{}", answer.text);
    answer.assert_error_says("hint", "alert_recipients");
    let listed = get(&app, &org, "/api/messages").await;
    assert_eq!(listed.body["messages"], json!([]), "nothing was queued");
}

#[tokio::test]
async fn a_blank_lead_name_or_reason_and_an_oversized_field_are_refused_naming_the_field() {
    let (app, org) = ready().await;
    let to = random_number();
    for (lead, field) in [
        (
            json!({"name": " ", "phone": "+14155550123", "reason": "x"}),
            "lead.name",
        ),
        (
            json!({"name": "Ann", "phone": "+14155550123", "reason": ""}),
            "lead.reason",
        ),
        (
            json!({"name": "Ann", "phone": "+14155550123", "reason": "x", "call_id": "c".repeat(501)}),
            "lead.call_id",
        ),
    ] {
        let answer = post(
            &app,
            &org,
            "/api/messages/hot-lead",
            &json!({"lead": lead, "to": [to]}),
            None,
        )
        .await;
        answer.assert_invalid(field);
    }
    let listed = get(&app, &org, "/api/messages").await;
    assert_eq!(listed.body["messages"], json!([]), "nothing was queued");
}

#[tokio::test]
async fn another_organizations_message_is_not_found() {
    let app = TestApp::spawn().await;
    let owner = ready_org(&app).await;
    let stranger = ready_org(&app).await;
    let sent = send_sms(
        &app,
        &owner,
        &json!({"to": random_number(), "body": "private"}),
    )
    .await;
    let id = sent.body["id"].as_str().unwrap();

    let theirs = get(&app, &stranger, &format!("/api/messages/{id}")).await;
    let missing = get(&app, &owner, "/api/messages/msg_00000000000000000000000000").await;
    let no_key = app
        .call(Method::GET, &format!("/api/messages/{id}"), None, None)
        .await;
    let their_list = get(&app, &stranger, "/api/messages").await;

    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body["error"]["code"], missing.body["error"]["code"]);
    assert!(
        missing.body["error"]["hint"]
            .as_str()
            .is_some_and(|hint| hint.contains("GET /api/messages")),
        "{}",
        missing.text
    );
    assert_eq!(no_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(their_list.body["messages"], json!([]));
}

#[tokio::test]
async fn the_list_filters_by_status_and_recipient_and_pages_with_a_cursor() {
    let (app, org) = ready().await;
    let to = random_number();
    let mut ids = Vec::new();
    for i in 0..3 {
        let sent = send_sms(&app, &org, &json!({"to": to, "body": format!("note {i}")})).await;
        ids.push(sent.body["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        wait_for(&app, &org, id, "delivered").await;
    }

    let first = get(
        &app,
        &org,
        &format!("/api/messages?to=%2B{}&limit=2", &to[1..]),
    )
    .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = get(
        &app,
        &org,
        &format!("/api/messages?limit=2&cursor={cursor}"),
    )
    .await;
    let failed = get(&app, &org, "/api/messages?status=failed").await;
    let bad = get(&app, &org, "/api/messages?status=lost").await;

    let page_ids: Vec<&str> = first.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["messages"].as_array().unwrap())
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        page_ids,
        [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );
    assert!(second.body["next_cursor"].is_null());
    assert_eq!(failed.body["messages"], json!([]));
    bad.assert_invalid("status");
}

#[tokio::test]
async fn the_openapi_document_describes_the_sending_api() {
    let app = TestApp::spawn().await;

    let doc: Value = app
        .client
        .get(format!("{}/api/openapi.json", app.url))
        .fetch_json()
        .await;

    for path in [
        "/api/messages",
        "/api/messages/hot-lead",
        "/api/messages/{id}",
        "/twilio/status/{org_id}/{message_id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["MessageDetailOut"].is_object());
}
