//! No slot given twice, no event written twice: concurrent requests, lost answers, a revoked
//! grant.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::{Clinic, booking, events_of};

#[tokio::test]
async fn fifty_concurrent_requests_for_one_slot_book_it_once() {
    let clinic = Clinic::new("UTC").await;
    let body = booking("2030-01-08T10:00:00Z", 30);

    let answers = join_all((0..50).map(|_| clinic.book(&body, None))).await;

    let booked: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    let taken: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(
        booked.len(),
        1,
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    assert_eq!(taken.len(), 49);
    for answer in &taken {
        assert_eq!(answer.error()["code"], "slot_taken", "{}", answer.text);
    }
    // The nearest free slots are offered, the taken one not among them.
    let nearest = taken[0].body["nearest_slots"].as_array().unwrap();
    assert!(!nearest.is_empty(), "{}", taken[0].text);
    assert!(
        nearest
            .iter()
            .all(|s| s["start"] != "2030-01-08T10:00:00+00:00")
    );
    assert_eq!(clinic.events().await.len(), 1);
}

#[tokio::test]
async fn an_overlapping_slot_and_a_busy_google_event_are_both_taken() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .book(&booking("2030-01-08T10:00:00Z", 60), None)
        .await;
    clinic
        .busy("2030-01-08T14:00:00Z", "2030-01-08T15:00:00Z")
        .await;

    let overlapping = clinic
        .book(&booking("2030-01-08T10:30:00Z", 30), None)
        .await;
    let busy = clinic
        .book(&booking("2030-01-08T14:30:00Z", 30), None)
        .await;
    let free = clinic
        .book(&booking("2030-01-08T11:00:00Z", 30), None)
        .await;

    overlapping.assert_status(StatusCode::CONFLICT);
    assert_eq!(overlapping.error()["code"], "slot_taken");
    busy.assert_status(StatusCode::CONFLICT);
    assert_eq!(busy.error()["code"], "slot_taken");
    free.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn an_insert_whose_answer_is_lost_after_the_write_leaves_exactly_one_event() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .fault(json!({"endpoint": "events.insert", "fault": "500", "process": true, "count": 1}))
        .await;

    let answer = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;

    answer.assert_status(StatusCode::CREATED);
    assert_eq!(answer.body["status"], "booked");
    let events = clinic.events().await;
    let id = answer.body["id"].as_str().unwrap();
    assert_eq!(events_of(&events, id).len(), 1, "{events:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(answer.body["google_event_id"], events[0]["id"]);
}

#[tokio::test]
async fn a_reset_before_the_write_and_a_503_are_retried_into_one_event() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .fault(json!({"endpoint": "events.insert", "fault": "reset", "count": 1}))
        .await;
    clinic
        .fault(json!({"endpoint": "events.list", "fault": "503", "count": 1}))
        .await;

    let answer = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;

    answer.assert_status(StatusCode::CREATED);
    let events = clinic.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
}

#[tokio::test]
async fn a_revoked_grant_marks_the_connection_and_books_nothing() {
    let clinic = Clinic::new("UTC").await;
    clinic.revoke().await;

    let answer = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), Some("k1"))
        .await;
    let again = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), Some("k1"))
        .await;

    answer.assert_status(StatusCode::CONFLICT);
    assert_eq!(answer.error()["code"], "calendar_needs_reconnect");
    answer.assert_error_says("message", "reconnect");
    again.assert_status(StatusCode::CONFLICT);
    assert_eq!(again.error()["code"], "calendar_needs_reconnect");
    let credential = clinic
        .app
        .get_credential(&clinic.org.key, &clinic.credential_id)
        .await;
    assert_eq!(credential.body["verification_status"], "needs_reconnect");
    assert!(clinic.events().await.is_empty());
    // Nothing half-booked: the slot is not held.
    let listed = clinic
        .app
        .call(
            reqwest::Method::GET,
            "/api/calendar/appointments?from=2030-01-08T00:00:00Z&to=2030-01-09T00:00:00Z",
            Some(&clinic.org.key),
            None,
        )
        .await;
    let statuses: Vec<_> = listed.body["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert!(statuses.iter().all(|s| s == "failed"), "{statuses:?}");
}

#[tokio::test]
async fn google_rate_limits_are_waited_out_inside_the_request() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .fault(json!({"endpoint": "freebusy", "fault": "429", "count": 1}))
        .await;
    clinic
        .fault(json!({"endpoint": "events.insert", "fault": "rateLimitExceeded", "count": 2}))
        .await;

    let answer = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;

    answer.assert_status(StatusCode::CREATED);
    assert_eq!(clinic.events().await.len(), 1);
}

#[tokio::test]
async fn short_lived_access_tokens_are_refreshed_transparently() {
    let app = crate::support::app::TestApp::spawn_with_google().await;
    // Every token Google issues now is near its end by Voxanne's margin: each use refreshes.
    let answer = app
        .client
        .put(format!("{}/sandbox/google/settings", app.sandbox.url()))
        .json(&json!({"access_token_ttl_secs": 60}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let clinic = Clinic::in_app(app, "UTC").await;

    let first = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let second = clinic
        .book(&booking("2030-01-08T11:00:00Z", 30), None)
        .await;

    first.assert_status(StatusCode::CREATED);
    second.assert_status(StatusCode::CREATED);
    assert_eq!(clinic.events().await.len(), 2);
}
