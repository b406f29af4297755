//! What Google's refusals do to booking: an access token refused before its expiry is refreshed
//! once and the call made again; a cancel Google keeps refusing is tried again a bounded number
//! of times; the calendar's failures are worded as Google Calendar's, never Twilio's.

use reqwest::StatusCode;
use serde_json::{Value, json};
use voxanne::booking::{CANCEL_FAILED, CANCEL_RETRIES};

use super::{Clinic, booking, events_of};
use crate::support::raw::RawPool;

impl Clinic {
    /// Ends the clinic's access tokens at the stand-in before their expiry (the grant stays).
    async fn expire_access_tokens(&self) {
        let answer = self
            .app
            .client
            .post(format!(
                "{}/sandbox/google/access-tokens/expire",
                self.app.sandbox.url()
            ))
            .json(&json!({"email": self.email}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
        let body: Value = answer.json().await.unwrap();
        assert!(body["expired"].as_u64().unwrap() >= 1, "{body}");
    }
}

/// `(status, attempts, lease_until - updated_at)` of an appointment, read under the store: how
/// long it is left alone after its last write (a claim's lease is exactly
/// [`voxanne::booking::LEASE`]; a failed try's wait is the schedule's).
async fn stored(clinic: &Clinic, id: &str) -> (String, i64, i64) {
    let select =
        "SELECT status, attempts, lease_until - updated_at FROM appointments WHERE id = $1";
    match &clinic.app.db.raw {
        RawPool::Sqlite(pool) => sqlx::query_as(select).bind(id).fetch_one(pool).await,
        RawPool::Postgres(pool) => sqlx::query_as(select).bind(id).fetch_one(pool).await,
    }
    .unwrap()
}

/// Lets the time until the next try pass (and, with `attempts`, counts the tries as made), as
/// the reconciler would find the appointment later.
async fn fast_forward(clinic: &Clinic, id: &str, attempts: Option<i64>) {
    let update =
        "UPDATE appointments SET lease_until = 0, attempts = COALESCE($2, attempts) WHERE id = $1";
    let changed = match &clinic.app.db.raw {
        RawPool::Sqlite(pool) => sqlx::query(update)
            .bind(id)
            .bind(attempts)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
        RawPool::Postgres(pool) => sqlx::query(update)
            .bind(id)
            .bind(attempts)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
    };
    assert_eq!(changed.unwrap(), 1);
}

#[tokio::test]
async fn an_access_token_google_refuses_early_is_refreshed_and_every_call_goes_through() {
    let clinic = Clinic::new("UTC").await;

    clinic.expire_access_tokens().await;
    let free = clinic
        .availability("from=2030-01-08T09:00:00Z&to=2030-01-08T12:00:00Z&duration_minutes=30")
        .await;
    clinic.expire_access_tokens().await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    let id = booked.body["id"].as_str().unwrap_or_default().to_owned();
    clinic.expire_access_tokens().await;
    let canceled = clinic.cancel(&id).await;

    free.assert_status(StatusCode::OK);
    assert_eq!(
        free.body["slots"].as_array().unwrap().len(),
        6,
        "{}",
        free.text
    );
    booked.assert_status(StatusCode::CREATED);
    canceled.assert_status(StatusCode::OK);
    assert_eq!(canceled.body["status"], "canceled");
    let all = clinic.all_events().await;
    let events = events_of(&all, &id);
    assert_eq!(events.len(), 1, "{all:?}");
    assert_eq!(events[0]["status"], "cancelled");
    let credential = clinic
        .app
        .get_credential(&clinic.org.key, &clinic.credential_id)
        .await;
    assert_eq!(credential.body["verification_status"], "verified");
}

#[tokio::test]
async fn a_grant_revoked_after_the_token_was_issued_is_found_by_the_refresh_and_books_nothing() {
    let clinic = Clinic::new("UTC").await;
    // The stored access token is still within its lifetime; the 401 comes from Google.
    clinic.revoke().await;

    let answer = clinic
        .availability("from=2030-01-08T09:00:00Z&to=2030-01-08T12:00:00Z")
        .await;

    answer.assert_status(StatusCode::CONFLICT);
    assert_eq!(answer.error()["code"], "calendar_needs_reconnect");
    let credential = clinic
        .app
        .get_credential(&clinic.org.key, &clinic.credential_id)
        .await;
    assert_eq!(credential.body["verification_status"], "needs_reconnect");
}

#[tokio::test]
async fn a_calendar_that_stays_unavailable_is_worded_as_google_calendar_not_twilio() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .fault(json!({"endpoint": "freebusy", "fault": "503", "count": 100}))
        .await;

    let answer = clinic
        .availability("from=2030-01-08T09:00:00Z&to=2030-01-08T12:00:00Z")
        .await;

    answer.assert_status(StatusCode::BAD_GATEWAY);
    assert_eq!(answer.error()["code"], "calendar_unavailable");
    answer.assert_error_says("message", "Google Calendar");
    assert!(!answer.text.contains("Twilio"), "{}", answer.text);
    assert!(
        answer.error().get("twilio_code").is_none(),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn a_cancel_google_keeps_refusing_is_retried_with_growing_waits_then_given_up_and_booked() {
    let clinic = Clinic::new("UTC").await;
    let booked = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    booked.assert_status(StatusCode::CREATED);
    let id = booked.body["id"].as_str().unwrap().to_owned();
    clinic
        .fault(json!({"endpoint": "events.delete", "fault": "503", "count": 10_000}))
        .await;

    // The request's own try fails: 502 in Google Calendar's words, the appointment `canceling`
    // with the reason, its next try put off (no retry before 5 s).
    let answer = clinic.cancel(&id).await;
    answer.assert_status(StatusCode::BAD_GATEWAY);
    assert_eq!(answer.error()["code"], "calendar_unavailable");
    let read = clinic.appointment(&id).await;
    assert_eq!(read.body["status"], "canceling");
    assert!(
        read.body["failure_reason"]
            .as_str()
            .unwrap()
            .contains("trying again"),
        "{}",
        read.text
    );
    let (_, attempts, wait) = stored(&clinic, &id).await;
    assert_eq!(attempts, 0);
    assert!((5_000..=30_000).contains(&wait), "waits {wait} ms");

    // The reconciler's first retry fails too and waits again (up to twice as long).
    fast_forward(&clinic, &id, None).await;
    let lease = i64::try_from(voxanne::booking::LEASE.as_millis()).unwrap();
    let retried = wait_for(&clinic, &id, |(_, attempts, wait)| {
        *attempts == 1 && *wait != lease && *wait > 0
    })
    .await;
    assert_eq!(retried.0, "canceling");
    assert!(
        (5_000..=60_000).contains(&retried.2),
        "waits {} ms",
        retried.2
    );

    // The last retry fails: the appointment is `booked` again (its event is still in the
    // calendar, its slot still held), with why canceling stopped; no further tries.
    fast_forward(&clinic, &id, Some(CANCEL_RETRIES - 1)).await;
    let given_up = wait_for(&clinic, &id, |(status, _, _)| status == "booked").await;
    assert!(
        given_up.2 <= 0,
        "a given-up cancel is not tried again: {given_up:?}"
    );
    assert_eq!(given_up.1, CANCEL_RETRIES);
    let read = clinic.appointment(&id).await;
    assert_eq!(read.body["status"], "booked");
    let reason = read.body["failure_reason"].as_str().unwrap();
    assert!(reason.contains("Canceling stopped after"), "{reason}");
    assert!(reason.contains("Cancel again"), "{reason}");
    assert_eq!(clinic.events().await.len(), 1);
    let code = stored_failure_code(&clinic, &id).await;
    assert_eq!(code.as_deref(), Some(CANCEL_FAILED));
    let taken = clinic
        .book(&booking("2030-01-08T10:00:00Z", 30), None)
        .await;
    assert_eq!(taken.error()["code"], "slot_taken", "{}", taken.text);
}

async fn stored_failure_code(clinic: &Clinic, id: &str) -> Option<String> {
    let select = "SELECT failure_code FROM appointments WHERE id = $1";
    match &clinic.app.db.raw {
        RawPool::Sqlite(pool) => sqlx::query_scalar(select).bind(id).fetch_one(pool).await,
        RawPool::Postgres(pool) => sqlx::query_scalar(select).bind(id).fetch_one(pool).await,
    }
    .unwrap()
}

/// Polls the stored appointment until `done` holds (the reconciler runs every second).
async fn wait_for(
    clinic: &Clinic,
    id: &str,
    done: impl Fn(&(String, i64, i64)) -> bool,
) -> (String, i64, i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let now = stored(clinic, id).await;
        if done(&now) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {now:?} after 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
