//! Faults armed per Calendar method through `/sandbox/google/faults`, with and without
//! `process` (the write takes effect before the answer fails).
// Test helpers: a failed unwrap here is a failed test, like in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{EVENTS, EVENTS_FREEBUSY, Stand, USER};

const PRIMARY: &str = "/calendars/primary/events";

fn booking() -> Value {
    json!({"summary": "Check-up",
           "start": {"dateTime": "2026-12-01T09:00:00-05:00"}, "end": {"dateTime": "2026-12-01T09:30:00-05:00"}})
}

async fn stored(stand: &Stand) -> Vec<Value> {
    let path = format!("/sandbox/google/users/{USER}/events");
    let (status, events) = stand.control(Method::GET, &path, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    events.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_failed_insert_writes_nothing_unless_the_fault_says_process() {
    for (fault, status) in [("500", 500), ("503", 503)] {
        let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
        stand
            .fault(json!({"endpoint": "events.insert", "fault": fault}))
            .await;
        stand
            .fault(json!({"endpoint": "events.insert", "fault": fault, "process": true}))
            .await;

        let (plain, body) = stand
            .api(Method::POST, PRIMARY, &token, Some(booking()))
            .await;
        let written_after_plain = stored(&stand).await.len();
        let (processed, _) = stand
            .api(Method::POST, PRIMARY, &token, Some(booking()))
            .await;
        let (after, _) = stand.api(Method::GET, PRIMARY, &token, None).await;

        assert_eq!(
            (plain.as_u16(), processed.as_u16()),
            (status, status),
            "{fault}"
        );
        assert_eq!(body["error"]["code"], status, "{fault}");
        assert_eq!(written_after_plain, 0, "{fault}");
        assert_eq!(stored(&stand).await.len(), 1, "{fault}");
        assert_eq!(after, StatusCode::OK, "{fault}: the faults are used up");
    }
}

#[tokio::test]
async fn rate_limits_answer_429_or_403_rate_limit_exceeded_and_never_write() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "429", "process": true}))
        .await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "rateLimitExceeded", "process": true}))
        .await;

    let (first, too_many) = stand
        .api(Method::POST, PRIMARY, &token, Some(booking()))
        .await;
    let (second, limited) = stand
        .api(Method::POST, PRIMARY, &token, Some(booking()))
        .await;

    assert_eq!(first, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        too_many["error"]["errors"][0]["reason"],
        "rateLimitExceeded"
    );
    assert_eq!(second, StatusCode::FORBIDDEN);
    assert_eq!(limited["error"]["errors"][0]["reason"], "rateLimitExceeded");
    assert_eq!(limited["error"]["errors"][0]["domain"], "usageLimits");
    assert!(stored(&stand).await.is_empty());
}

#[tokio::test]
async fn a_count_fails_that_many_calls_of_that_method_only() {
    let (stand, token) = Stand::with_calendars(&[EVENTS, EVENTS_FREEBUSY]).await;
    stand
        .fault(json!({"endpoint": "events.list", "fault": "503", "count": 2}))
        .await;
    stand
        .fault(json!({"endpoint": "freebusy", "fault": "500"}))
        .await;
    let window = json!({"timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z",
                        "items": [{"id": "primary"}]});

    let (insert, _) = stand
        .api(Method::POST, PRIMARY, &token, Some(booking()))
        .await;
    let lists = [
        stand.api(Method::GET, PRIMARY, &token, None).await.0,
        stand.api(Method::GET, PRIMARY, &token, None).await.0,
        stand.api(Method::GET, PRIMARY, &token, None).await.0,
    ];
    let busy = [
        stand
            .api(Method::POST, "/freeBusy", &token, Some(window.clone()))
            .await
            .0,
        stand
            .api(Method::POST, "/freeBusy", &token, Some(window))
            .await
            .0,
    ];

    assert_eq!(insert, StatusCode::OK);
    assert_eq!(lists.map(|s| s.as_u16()), [503, 503, 200]);
    assert_eq!(busy.map(|s| s.as_u16()), [500, 200]);
}

#[tokio::test]
async fn get_and_delete_faults_and_a_processed_delete() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let (_, event) = stand
        .api(Method::POST, PRIMARY, &token, Some(booking()))
        .await;
    let path = format!("{PRIMARY}/{}", event["id"].as_str().unwrap());
    stand
        .fault(json!({"endpoint": "events.get", "fault": "503"}))
        .await;
    stand
        .fault(json!({"endpoint": "events.delete", "fault": "500", "process": true}))
        .await;

    let (get, _) = stand.api(Method::GET, &path, &token, None).await;
    let (delete, _) = stand.api(Method::DELETE, &path, &token, None).await;
    let (again, gone) = stand.api(Method::DELETE, &path, &token, None).await;

    assert_eq!(get, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(delete, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(again, StatusCode::GONE, "the faulted delete took effect");
    assert_eq!(gone["error"]["errors"][0]["reason"], "deleted");
}

/// The `reset` fault needs the sandbox's own server, which drops the connection unanswered.
#[tokio::test]
async fn a_reset_drops_the_connection_and_with_process_the_event_is_written_anyway() {
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let stand = Stand::on(sandbox.url()).await;
    let token = stand.user_token(&[EVENTS]).await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "reset"}))
        .await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "lost", "process": true}))
        .await;
    let insert = || {
        stand
            .http
            .post(format!("{}/calendar/v3{PRIMARY}", stand.url))
            .bearer_auth(&token)
            .json(&booking())
            .send()
    };

    let unprocessed = insert().await;
    let written_after_unprocessed = stored(&stand).await.len();
    let processed = insert().await;

    assert!(unprocessed.is_err(), "{unprocessed:?}");
    assert_eq!(written_after_unprocessed, 0);
    assert!(processed.is_err(), "{processed:?}");
    assert_eq!(stored(&stand).await.len(), 1);
    sandbox.shutdown().await;
}
