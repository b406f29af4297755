use std::time::{Duration, Instant};

use serde_json::json;
use voxanne::google::{Deletion, Error, ListEvents};

use super::{Stand, at, booking};

fn tagged(appointment: &str) -> ListEvents {
    ListEvents {
        private_property: Some(("voxanne_appointment".into(), appointment.into())),
        ..ListEvents::default()
    }
}

fn slot(appointment: &str) -> voxanne::google::NewEvent {
    booking(
        "2026-12-07T10:00:00-05:00",
        "2026-12-07T10:30:00-05:00",
        "America/New_York",
        appointment,
    )
}

#[tokio::test]
async fn an_insert_that_failed_after_writing_is_outcome_unknown_and_reconciles_to_one_event() {
    let stand = Stand::start().await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "500", "process": true, "count": 1}))
        .await;

    let result = stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await;

    let error = result.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    let found = stand
        .google
        .list_all_events(&stand.token, "primary", &tagged("appt_1"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "the write took effect exactly once");
}

#[tokio::test]
async fn an_insert_whose_connection_was_reset_before_writing_is_outcome_unknown_and_absent() {
    let stand = Stand::start().await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "reset"}))
        .await;

    let error = stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Network(_)), "{error:?}");
    assert!(error.outcome_unknown());
    let found = stand
        .google
        .list_all_events(&stand.token, "primary", &tagged("appt_1"))
        .await
        .unwrap();
    assert!(found.is_empty());
}

#[tokio::test]
async fn an_insert_whose_answer_was_lost_after_writing_is_not_repeated() {
    let stand = Stand::start().await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "lost", "process": true}))
        .await;

    let error = stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await
        .unwrap_err();

    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(stand.stored_events().await.len(), 1);
}

#[tokio::test]
async fn rate_limited_inserts_are_retried_and_book_once() {
    let stand = Stand::start().await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "429", "count": 1}))
        .await;
    stand
        .fault(json!({"endpoint": "events.insert", "fault": "rateLimitExceeded", "count": 1}))
        .await;

    let booked = stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await
        .unwrap();

    let stored = stand.stored_events().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], booked.id.as_str());
}

#[tokio::test]
async fn reads_ride_out_server_errors_and_lost_answers() {
    let stand = Stand::start().await;
    stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await
        .unwrap();
    stand
        .fault(json!({"endpoint": "events.list", "fault": "503", "count": 2}))
        .await;
    stand
        .fault(json!({"endpoint": "freebusy", "fault": "reset", "count": 1}))
        .await;
    stand
        .fault(json!({"endpoint": "freebusy", "fault": "rateLimitExceeded", "count": 1}))
        .await;

    let found = stand
        .google
        .list_all_events(&stand.token, "primary", &tagged("appt_1"))
        .await
        .unwrap();
    let busy = stand
        .google
        .free_busy(
            &stand.token,
            "primary",
            at("2026-12-07T00:00:00-05:00"),
            at("2026-12-08T00:00:00-05:00"),
        )
        .await
        .unwrap();

    assert_eq!(found.len(), 1);
    assert_eq!(busy.len(), 1);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_is_retried_and_ends_already_gone() {
    let stand = Stand::start().await;
    let booked = stand
        .google
        .insert_event(&stand.token, "primary", &slot("appt_1"))
        .await
        .unwrap();
    stand
        .fault(json!({"endpoint": "events.delete", "fault": "reset", "process": true}))
        .await;

    let deleted = stand
        .google
        .delete_event(&stand.token, "primary", &booked.id)
        .await
        .unwrap();

    assert_eq!(deleted, Deletion::AlreadyGone);
    let stored = stand.stored_events().await;
    assert_eq!(stored[0]["status"], "cancelled");
}

#[tokio::test]
async fn an_outage_longer_than_the_budget_ends_with_the_last_error_in_time() {
    let stand = Stand::start().await;
    stand
        .fault(json!({"endpoint": "events.get", "fault": "503", "count": 1000}))
        .await;
    let started = Instant::now();

    let result = stand
        .google
        .get_event(&stand.token, "primary", "whatever01")
        .await;

    assert!(
        matches!(result, Err(Error::Unavailable { status: 503, .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
