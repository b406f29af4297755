//! `GET /api/calendar/availability`: opening hours, existing events, buffer, time zones.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Clinic, open_all_week};

fn starts(answer: &Value) -> Vec<String> {
    answer["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn free_slots_leave_out_existing_events_and_their_buffer() {
    let clinic = Clinic::new("America/New_York").await;
    clinic
        .settings(json!({
            "opening_hours": {"wed": [["09:00", "12:00"]]},
            "slot_minutes": 30,
            "buffer_minutes": 15,
        }))
        .await;
    // Wednesday 2030-01-09, 10:00–10:30 New York.
    clinic
        .busy("2030-01-09T10:00:00-05:00", "2030-01-09T10:30:00-05:00")
        .await;

    let answer = clinic
        .availability("from=2030-01-09T00:00:00-05:00&to=2030-01-10T00:00:00-05:00")
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["timezone"], "America/New_York");
    assert_eq!(
        starts(&answer.body),
        [
            "2030-01-09T09:00:00-05:00",
            "2030-01-09T11:00:00-05:00",
            "2030-01-09T11:30:00-05:00"
        ]
    );
    assert_eq!(answer.body["slots"][0]["end"], "2030-01-09T09:30:00-05:00");
}

#[tokio::test]
async fn a_longer_duration_and_a_closed_day_shape_the_slots() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .settings(json!({"opening_hours": {"mon": [["09:00", "10:30"]]}, "slot_minutes": 15}))
        .await;

    // Monday 2030-01-07 and the closed Tuesday after it.
    let answer = clinic
        .availability("from=2030-01-07T00:00:00Z&to=2030-01-09T00:00:00Z&duration_minutes=60")
        .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(
        starts(&answer.body),
        [
            "2030-01-07T09:00:00+00:00",
            "2030-01-07T09:15:00+00:00",
            "2030-01-07T09:30:00+00:00"
        ]
    );
}

#[tokio::test]
async fn opening_hours_keep_their_wall_clock_across_dst_in_new_york_and_berlin() {
    let clinic = Clinic::new("America/New_York").await;
    clinic
        .settings(json!({"opening_hours": open_all_week(json!([["09:00", "09:30"]]))}))
        .await;
    // New York springs forward on Sunday 2030-03-10.
    let answer = clinic
        .availability("from=2030-03-09T00:00:00-05:00&to=2030-03-11T00:00:00-04:00")
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(
        starts(&answer.body),
        ["2030-03-09T09:00:00-05:00", "2030-03-10T09:00:00-04:00"]
    );

    // Berlin falls back on Sunday 2030-10-27.
    clinic
        .settings(json!({"timezone": "Europe/Berlin", "opening_hours": open_all_week(json!([["09:00", "09:30"]]))}))
        .await;
    let answer = clinic
        .availability("from=2030-10-26T00:00:00%2B02:00&to=2030-10-28T00:00:00%2B01:00")
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.body["timezone"], "Europe/Berlin");
    assert_eq!(
        starts(&answer.body),
        ["2030-10-26T09:00:00+02:00", "2030-10-27T09:00:00+01:00"]
    );
}

#[tokio::test]
async fn a_window_longer_than_31_days_or_backwards_names_the_field() {
    let clinic = Clinic::new("UTC").await;

    let long = clinic
        .availability("from=2030-01-01T00:00:00Z&to=2030-02-02T00:00:00Z")
        .await;
    let backwards = clinic
        .availability("from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z")
        .await;
    let garbage = clinic
        .availability("from=tomorrow&to=2030-01-01T00:00:00Z")
        .await;

    long.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(long.error_field(), Some("to"));
    backwards.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    garbage.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbage.error_field(), Some("from"));
}

#[tokio::test]
async fn booking_settings_are_read_back_and_validated_per_field() {
    let clinic = Clinic::new("UTC").await;

    let bad_hours = clinic
        .app
        .put_settings(
            &clinic.org.key,
            &json!({"alert_recipients": [], "timezone": "UTC",
                    "opening_hours": {"mon": [["17:00", "09:00"]]}}),
        )
        .await;
    let bad_slot = clinic
        .app
        .put_settings(
            &clinic.org.key,
            &json!({"alert_recipients": [], "timezone": "UTC", "slot_minutes": 2}),
        )
        .await;
    // An old client sends only the first two fields: the booking fields stay.
    clinic
        .app
        .put_settings(
            &clinic.org.key,
            &json!({"alert_recipients": [], "timezone": "Europe/Berlin"}),
        )
        .await
        .assert_status(StatusCode::OK);
    let read = clinic.app.get_settings(&clinic.org.key).await;

    bad_hours.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_hours.error_field(), Some("opening_hours.mon[0]"));
    bad_slot.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_slot.error_field(), Some("slot_minutes"));
    assert_eq!(read.body["timezone"], "Europe/Berlin");
    assert_eq!(read.body["slot_minutes"], 30);
    assert_eq!(read.body["buffer_minutes"], 0);
    assert_eq!(
        read.body["opening_hours"]["sun"],
        json!([["08:00", "18:00"]])
    );
}

#[tokio::test]
async fn a_day_sent_as_null_is_closed_and_an_empty_window_has_no_slots() {
    let clinic = Clinic::new("UTC").await;

    let hours = clinic
        .app
        .put_settings(
            &clinic.org.key,
            &json!({"opening_hours": {"mon": [["09:00", "12:00"]], "tue": null, "wed": []}}),
        )
        .await;
    // Tuesday 2030-01-08: closed.
    let tuesday = clinic
        .availability("from=2030-01-08T00:00:00Z&to=2030-01-09T00:00:00Z")
        .await;
    let empty = clinic
        .availability("from=2030-01-07T10:00:00Z&to=2030-01-07T10:00:00Z")
        .await;

    hours.assert_status(StatusCode::OK);
    assert_eq!(hours.body["opening_hours"]["tue"], json!([]));
    assert_eq!(
        hours.body["opening_hours"]["mon"],
        json!([["09:00", "12:00"]])
    );
    tuesday.assert_status(StatusCode::OK);
    assert_eq!(tuesday.body["slots"], json!([]));
    empty.assert_status(StatusCode::OK);
    assert_eq!(empty.body["slots"], json!([]));
}

#[tokio::test]
async fn a_clinic_open_round_the_clock_books_across_midnight() {
    let clinic = Clinic::new("UTC").await;
    clinic
        .settings(json!({"opening_hours": super::open_all_week(json!([["00:00", "24:00"]]))}))
        .await;

    let answer = clinic
        .book(&super::booking("2030-01-08T22:00:00Z", 240), None)
        .await;

    answer.assert_status(StatusCode::CREATED);
    assert_eq!(answer.body["end"], "2030-01-09T02:00:00+00:00");
}
