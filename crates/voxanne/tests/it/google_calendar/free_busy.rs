use reqwest::Method;
use serde_json::json;
use voxanne::google::{Busy, CALENDAR_EVENTS, Error, ListEvents};

use super::{Stand, at, booking};

#[tokio::test]
async fn busy_periods_merge_overlaps_and_skip_cancelled_and_transparent_events_across_dst() {
    let stand = Stand::start().await;
    // New York leaves daylight time on 2026-11-01 at 02:00 (06:00Z).
    for (start, end, id) in [
        (
            "2026-10-31T09:00:00-04:00",
            "2026-10-31T10:00:00-04:00",
            "a",
        ),
        (
            "2026-10-31T09:30:00-04:00",
            "2026-10-31T11:00:00-04:00",
            "b",
        ),
        (
            "2026-11-02T09:00:00-05:00",
            "2026-11-02T09:30:00-05:00",
            "c",
        ),
    ] {
        stand
            .google
            .insert_event(
                &stand.token,
                "primary",
                &booking(start, end, "America/New_York", id),
            )
            .await
            .unwrap();
    }
    let cancelled = stand
        .google
        .insert_event(
            &stand.token,
            "primary",
            &booking(
                "2026-11-02T11:00:00-05:00",
                "2026-11-02T12:00:00-05:00",
                "America/New_York",
                "d",
            ),
        )
        .await
        .unwrap();
    stand
        .google
        .delete_event(&stand.token, "primary", &cancelled.id)
        .await
        .unwrap();
    let (status, _) = stand
        .raw(
            Method::POST,
            "calendars/primary/events",
            Some(json!({
                "summary": "Free lunch talk", "transparency": "transparent",
                "start": {"dateTime": "2026-11-02T13:00:00", "timeZone": "America/New_York"},
                "end": {"dateTime": "2026-11-02T14:00:00", "timeZone": "America/New_York"},
            })),
        )
        .await;
    assert_eq!(status, 200);

    let busy = stand
        .google
        .free_busy(
            &stand.token,
            "primary",
            at("2026-10-31T00:00:00-04:00"),
            at("2026-11-03T00:00:00-05:00"),
        )
        .await
        .unwrap();

    assert_eq!(
        busy,
        [
            Busy {
                start: at("2026-10-31T13:00:00Z"),
                end: at("2026-10-31T15:00:00Z")
            },
            Busy {
                start: at("2026-11-02T14:00:00Z"),
                end: at("2026-11-02T14:30:00Z")
            },
        ]
    );
}

#[tokio::test]
async fn a_berlin_calendar_reports_busy_time_across_its_spring_dst_change() {
    let stand = Stand::start().await;
    let berlin = stand.calendar("Berlin office").await;
    // 2026-03-29: Berlin moves from +01:00 to +02:00 at 02:00 local.
    let (status, _) = stand
        .raw(
            Method::POST,
            &format!("calendars/{}/events", urlencode(&berlin)),
            Some(json!({
                "summary": "Early shift",
                "start": {"dateTime": "2026-03-29T01:30:00", "timeZone": "Europe/Berlin"},
                "end": {"dateTime": "2026-03-29T04:00:00", "timeZone": "Europe/Berlin"},
            })),
        )
        .await;
    assert_eq!(status, 200);

    let busy = stand
        .google
        .free_busy(
            &stand.token,
            &berlin,
            at("2026-03-29T00:00:00+01:00"),
            at("2026-03-30T00:00:00+02:00"),
        )
        .await
        .unwrap();

    // 01:30 +01:00 is 00:30Z; 04:00 +02:00 is 02:00Z: 1.5 hours, not 2.5.
    assert_eq!(
        busy,
        [Busy {
            start: at("2026-03-29T00:30:00Z"),
            end: at("2026-03-29T02:00:00Z")
        }]
    );
}

#[tokio::test]
async fn an_unknown_calendar_is_not_found() {
    let stand = Stand::start().await;

    let result = stand
        .google
        .free_busy(
            &stand.token,
            "nobody@example.com",
            at("2026-12-01T00:00:00Z"),
            at("2026-12-02T00:00:00Z"),
        )
        .await;

    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
}

#[tokio::test]
async fn a_connection_without_a_freebusy_scope_is_refused_but_can_list_events_instead() {
    let stand = Stand::with_scopes(&[CALENDAR_EVENTS]).await;
    stand
        .google
        .insert_event(
            &stand.token,
            "primary",
            &booking(
                "2026-12-01T09:00:00-05:00",
                "2026-12-01T10:00:00-05:00",
                "America/New_York",
                "a",
            ),
        )
        .await
        .unwrap();
    let (from, to) = (
        at("2026-12-01T00:00:00-05:00"),
        at("2026-12-02T00:00:00-05:00"),
    );

    let busy = stand
        .google
        .free_busy(&stand.token, "primary", from, to)
        .await;
    let window = ListEvents {
        time_min: Some(from),
        time_max: Some(to),
        single_events: true,
        ..ListEvents::default()
    };
    let events = stand
        .google
        .list_all_events(&stand.token, "primary", &window)
        .await
        .unwrap();

    assert!(matches!(busy, Err(Error::ScopeInsufficient)), "{busy:?}");
    assert_eq!(events.len(), 1);
}

fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}
