//! `POST /calendar/v3/freeBusy`: busy periods, merged and clipped, in the asked time zone.
// Test helpers: a failed unwrap here is a failed test, like in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{CALENDARLIST_RO, EVENTS, EVENTS_FREEBUSY, FREEBUSY, Stand};

async fn insert(stand: &Stand, token: &str, calendar: &str, body: Value) -> Value {
    let path = format!("/calendars/{calendar}/events");
    let (status, inserted) = stand.api(Method::POST, &path, token, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{inserted}");
    inserted
}

fn timed(start: &str, end: &str, zone: &str) -> Value {
    json!({"summary": "busy", "start": {"dateTime": start, "timeZone": zone},
           "end": {"dateTime": end, "timeZone": zone}})
}

async fn query(stand: &Stand, token: &str, body: Value) -> (StatusCode, Value) {
    stand
        .api(Method::POST, "/freeBusy", token, Some(body))
        .await
}

#[tokio::test]
async fn busy_time_merges_overlaps_clips_to_the_window_and_skips_free_and_cancelled_events() {
    let (stand, token) = Stand::with_calendars(&[EVENTS, EVENTS_FREEBUSY]).await;
    let ny = "America/New_York";
    // New York leaves daylight time on 2026-11-01 at 02:00 local.
    insert(
        &stand,
        &token,
        "primary",
        timed("2026-10-31T23:00:00", "2026-11-01T01:30:00", ny),
    )
    .await;
    insert(
        &stand,
        &token,
        "primary",
        timed("2026-11-01T01:00:00", "2026-11-01T03:00:00", ny),
    )
    .await;
    insert(
        &stand,
        &token,
        "primary",
        timed("2026-11-01T09:00:00", "2026-11-01T10:00:00", ny),
    )
    .await;
    let mut free = timed("2026-11-01T11:00:00", "2026-11-01T12:00:00", ny);
    free["transparency"] = "transparent".into();
    insert(&stand, &token, "primary", free).await;
    let cancelled = insert(
        &stand,
        &token,
        "primary",
        timed("2026-11-01T13:00:00", "2026-11-01T14:00:00", ny),
    )
    .await;
    let path = format!(
        "/calendars/primary/events/{}",
        cancelled["id"].as_str().unwrap()
    );
    stand.api(Method::DELETE, &path, &token, None).await;

    let (status, body) = query(
        &stand,
        &token,
        json!({
            "timeMin": "2026-11-01T00:00:00-04:00", "timeMax": "2026-11-02T00:00:00-05:00",
            "timeZone": ny, "items": [{"id": "primary"}],
        }),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "calendar#freeBusy");
    assert_eq!(body["timeMin"], "2026-11-01T04:00:00.000Z");
    assert_eq!(body["timeMax"], "2026-11-02T05:00:00.000Z");
    assert_eq!(
        body["calendars"]["primary"]["busy"],
        json!([
            {"start": "2026-11-01T00:00:00-04:00", "end": "2026-11-01T03:00:00-05:00"},
            {"start": "2026-11-01T09:00:00-05:00", "end": "2026-11-01T10:00:00-05:00"},
        ])
    );
}

#[tokio::test]
async fn without_a_time_zone_busy_times_are_utc_and_berlin_spring_forward_is_one_hour_shorter() {
    let (stand, token) = Stand::with_calendars(&[EVENTS, CALENDARLIST_RO, FREEBUSY]).await;
    let berlin = stand.calendar_id(&token, "Berlin office").await;
    insert(
        &stand,
        &token,
        &berlin,
        timed(
            "2026-03-29T01:00:00",
            "2026-03-29T04:00:00",
            "Europe/Berlin",
        ),
    )
    .await;

    let (status, body) = query(
        &stand,
        &token,
        json!({
            "timeMin": "2026-03-28T00:00:00Z", "timeMax": "2026-03-30T00:00:00Z",
            "items": [{"id": berlin}],
        }),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["calendars"][&berlin]["busy"],
        json!([{"start": "2026-03-29T00:00:00Z", "end": "2026-03-29T02:00:00Z"}])
    );
}

#[tokio::test]
async fn an_unknown_calendar_gets_not_found_inside_a_200_answer() {
    let (stand, token) = Stand::with_calendars(&[EVENTS_FREEBUSY]).await;

    let (status, body) = query(
        &stand,
        &token,
        json!({
            "timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z",
            "items": [{"id": "primary"}, {"id": "stranger@example.com"}],
        }),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["calendars"]["primary"], json!({"busy": []}));
    assert_eq!(
        body["calendars"]["stranger@example.com"],
        json!({"errors": [{"domain": "global", "reason": "notFound"}], "busy": []})
    );
}

#[tokio::test]
async fn the_events_scope_alone_may_not_ask_free_busy() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;

    let (status, body) = query(
        &stand,
        &token,
        json!({
            "timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z",
            "items": [{"id": "primary"}],
        }),
    )
    .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
}

#[tokio::test]
async fn a_time_max_before_time_min_is_time_range_empty() {
    let (stand, token) = Stand::with_calendars(&[FREEBUSY]).await;

    let (status, body) = query(
        &stand,
        &token,
        json!({
            "timeMin": "2026-12-02T00:00:00Z", "timeMax": "2026-12-01T00:00:00Z",
            "items": [{"id": "primary"}],
        }),
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["errors"][0]["reason"], "timeRangeEmpty");
    assert_eq!(body["error"]["errors"][0]["location"], "timeMax");
}
