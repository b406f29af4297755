//! The per-organization sending quota: its settings, and sends beyond it refused with 429 and
//! `Retry-After` before anything is queued.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::answer::Answer;
use crate::support::app::{TestApp, TestOrg, random_number};

async fn ready_with_quota(per_minute: u32) -> (TestApp, TestOrg) {
    let app = TestApp::spawn().await;
    let org = app.org().await;
    let account = app.full_account().await;
    app.add_token_credential(&org, &account).await;
    app.put_settings(&org.key, &json!({"texts_per_minute": per_minute}))
        .await
        .assert_status(StatusCode::OK);
    (app, org)
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

fn sms() -> Value {
    json!({"to": random_number(), "body": "Your appointment is tomorrow at 9"})
}

fn hot_lead(to: &[String]) -> Value {
    json!({"lead": {"name": "Maria Lopez", "phone": "+14155550123", "reason": "cleaning"}, "to": to})
}

async fn message_count(app: &TestApp, org: &TestOrg) -> usize {
    let page = app
        .call(Method::GET, "/api/messages?limit=100", Some(&org.key), None)
        .await;
    page.assert_status(StatusCode::OK);
    page.body["messages"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_quota_starts_at_safe_defaults_and_a_put_changes_only_the_fields_it_names() {
    let (app, org) = TestApp::with_org().await;

    let initial = app.get_settings(&org.key).await;
    let minute = app
        .put_settings(&org.key, &json!({"texts_per_minute": 30}))
        .await;
    let zone = app
        .put_settings(&org.key, &json!({"timezone": "Europe/Paris"}))
        .await;

    assert_eq!(initial.body["texts_per_minute"], 120);
    assert_eq!(initial.body["texts_per_day"], 5000);
    minute.assert_status(StatusCode::OK);
    // The booking fields come along unchanged (tested with booking); these are the ones at stake.
    let named = |body: &serde_json::Value| {
        json!({"alert_recipients": body["alert_recipients"], "timezone": body["timezone"],
               "texts_per_minute": body["texts_per_minute"], "texts_per_day": body["texts_per_day"]})
    };
    assert_eq!(
        named(&minute.body),
        json!({"alert_recipients": [], "timezone": "UTC", "texts_per_minute": 30, "texts_per_day": 5000})
    );
    assert_eq!(
        named(&zone.body),
        json!({"alert_recipients": [], "timezone": "Europe/Paris", "texts_per_minute": 30, "texts_per_day": 5000})
    );
    assert_eq!(minute.body["opening_hours"], initial.body["opening_hours"]);
    assert_eq!(app.get_settings(&org.key).await.body, zone.body);
}

#[tokio::test]
async fn a_limit_out_of_range_is_refused_naming_the_field_and_changes_nothing() {
    let (app, org) = TestApp::with_org().await;

    let zero = app
        .put_settings(
            &org.key,
            &json!({"texts_per_minute": 0, "timezone": "Europe/Paris"}),
        )
        .await;
    let huge = app
        .put_settings(&org.key, &json!({"texts_per_day": 1_000_001}))
        .await;
    let negative = app
        .put_settings(&org.key, &json!({"texts_per_day": -5}))
        .await;

    zero.assert_invalid("texts_per_minute");
    huge.assert_invalid("texts_per_day");
    negative.assert_invalid("texts_per_day");
    let now = app.get_settings(&org.key).await.body;
    assert_eq!(
        (now["timezone"].as_str(), now["texts_per_minute"].as_u64()),
        (Some("UTC"), Some(120))
    );
}

#[tokio::test]
async fn a_send_beyond_the_minute_quota_is_a_429_with_retry_after_and_nothing_is_queued() {
    let (app, org) = ready_with_quota(3).await;
    for _ in 0..3 {
        post(&app, &org, "/api/messages", &sms(), None)
            .await
            .assert_status(StatusCode::ACCEPTED);
    }

    let refused = post(&app, &org, "/api/messages", &sms(), None).await;

    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "sending_quota_exceeded");
    assert_eq!(refused.error_field(), Some("texts_per_minute"));
    refused.assert_error_says("message", "3 texts per minute");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(message_count(&app, &org).await, 3);
}

#[tokio::test]
async fn a_hot_lead_counts_each_recipient_and_is_refused_whole_when_they_do_not_all_fit() {
    let (app, org) = ready_with_quota(5).await;
    let three: Vec<String> = (0..3).map(|_| random_number()).collect();

    let first = post(
        &app,
        &org,
        "/api/messages/hot-lead",
        &hot_lead(&three),
        None,
    )
    .await;
    let second = post(
        &app,
        &org,
        "/api/messages/hot-lead",
        &hot_lead(&three),
        None,
    )
    .await;
    let one_more = post(&app, &org, "/api/messages", &sms(), None).await;

    first.assert_status(StatusCode::ACCEPTED);
    second.assert_error(StatusCode::TOO_MANY_REQUESTS, "sending_quota_exceeded");
    one_more.assert_status(StatusCode::ACCEPTED);
    assert_eq!(message_count(&app, &org).await, 4);
}

#[tokio::test]
async fn a_hot_lead_larger_than_the_limit_says_that_waiting_will_not_help() {
    let (app, org) = ready_with_quota(2).await;
    let three: Vec<String> = (0..3).map(|_| random_number()).collect();

    let refused = post(
        &app,
        &org,
        "/api/messages/hot-lead",
        &hot_lead(&three),
        None,
    )
    .await;

    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "sending_quota_exceeded");
    refused.assert_error_says("hint", "send fewer at once");
    assert_eq!(message_count(&app, &org).await, 0);
}

#[tokio::test]
async fn a_replayed_request_is_not_counted_twice() {
    let (app, org) = ready_with_quota(2).await;
    let body = sms();

    let first = post(&app, &org, "/api/messages", &body, Some("quota-replay-1")).await;
    let replay = post(&app, &org, "/api/messages", &body, Some("quota-replay-1")).await;
    let second = post(&app, &org, "/api/messages", &sms(), None).await;

    first.assert_status(StatusCode::ACCEPTED);
    replay.assert_status(StatusCode::ACCEPTED);
    assert_eq!(replay.body, first.body);
    second.assert_status(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn each_organization_has_its_own_quota() {
    let (app, org) = ready_with_quota(1).await;
    let other = app.org().await;
    let account = app.full_account().await;
    app.add_token_credential(&other, &account).await;

    post(&app, &org, "/api/messages", &sms(), None)
        .await
        .assert_status(StatusCode::ACCEPTED);
    post(&app, &org, "/api/messages", &sms(), None)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    post(&app, &other, "/api/messages", &sms(), None)
        .await
        .assert_status(StatusCode::ACCEPTED);
}
