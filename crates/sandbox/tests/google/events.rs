//! `calendars/{id}/events`: insert, get, patch, delete and list as Calendar API v3 answers them.
// Test helpers: a failed unwrap here is a failed test, like in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{CALENDARLIST_RO, EVENTS, Stand};

const PRIMARY: &str = "/calendars/primary/events";

fn event(start: &str, end: &str) -> Value {
    json!({
        "summary": "Check-up",
        "start": {"dateTime": start, "timeZone": "America/New_York"},
        "end": {"dateTime": end, "timeZone": "America/New_York"},
    })
}

async fn insert(stand: &Stand, token: &str, body: Value) -> Value {
    let (status, inserted) = stand.api(Method::POST, PRIMARY, token, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{inserted}");
    inserted
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn extended_properties_and_time_zones_are_stored_and_returned_with_offsets_filled_in() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let mut body = json!({
        "summary": "Check-up",
        "start": {"dateTime": "2026-03-07T09:00:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-03-09T09:00:00", "timeZone": "America/New_York"},
        "extendedProperties": {"private": {"voxanne_appointment": "appt_1"}, "shared": {"room": "2"}},
    });
    body["id"] = "booking0001".into();

    let inserted = insert(&stand, &token, body).await;
    let (status, fetched) = stand
        .api(
            Method::GET,
            &format!("{PRIMARY}/{}", inserted["id"].as_str().unwrap()),
            &token,
            None,
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, inserted);
    // Before and after New York's spring-forward: the offsets differ, the zone is echoed.
    assert_eq!(fetched["start"]["dateTime"], "2026-03-07T09:00:00-05:00");
    assert_eq!(fetched["end"]["dateTime"], "2026-03-09T09:00:00-04:00");
    assert_eq!(fetched["start"]["timeZone"], "America/New_York");
    assert_eq!(
        fetched["extendedProperties"]["private"]["voxanne_appointment"],
        "appt_1"
    );
    assert_eq!(fetched["extendedProperties"]["shared"]["room"], "2");
    assert_eq!(fetched["id"], "booking0001");
}

#[tokio::test]
async fn an_offset_given_with_the_time_is_kept_and_a_missing_zone_is_refused() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let kept = insert(
        &stand,
        &token,
        event("2026-12-01T15:00:00+01:00", "2026-12-01T16:00:00+01:00"),
    )
    .await;
    let (status, refused) = stand
        .api(Method::POST, PRIMARY, &token, Some(json!({
            "start": {"dateTime": "2026-12-01T15:00:00"}, "end": {"dateTime": "2026-12-01T16:00:00"},
        })))
        .await;

    assert_eq!(kept["start"]["dateTime"], "2026-12-01T15:00:00+01:00");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["error"]["message"],
        "Missing time zone definition for start time."
    );
}

#[tokio::test]
async fn an_end_before_the_start_is_time_range_empty() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;

    let (status, body) = stand
        .api(
            Method::POST,
            PRIMARY,
            &token,
            Some(event("2026-12-01T10:00:00", "2026-12-01T09:00:00")),
        )
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["errors"][0]["reason"], "timeRangeEmpty");
    assert_eq!(body["error"]["errors"][0]["domain"], "calendar");
}

#[tokio::test]
async fn a_chosen_id_is_used_and_choosing_it_again_is_409_duplicate() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let mut body = event("2026-12-01T09:00:00", "2026-12-01T09:30:00");
    body["id"] = "appt0001".into();

    let first = insert(&stand, &token, body.clone()).await;
    let (status, second) = stand
        .api(Method::POST, PRIMARY, &token, Some(body.clone()))
        .await;
    body["id"] = "Not_Base32".into();
    let (bad_status, _) = stand.api(Method::POST, PRIMARY, &token, Some(body)).await;

    assert_eq!(first["id"], "appt0001");
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(second["error"]["errors"][0]["reason"], "duplicate");
    assert_eq!(bad_status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn delete_answers_204_then_410_deleted_and_get_shows_the_event_cancelled() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let inserted = insert(
        &stand,
        &token,
        event("2026-12-01T09:00:00", "2026-12-01T09:30:00"),
    )
    .await;
    let path = format!("{PRIMARY}/{}", inserted["id"].as_str().unwrap());

    let (first, empty) = stand.api(Method::DELETE, &path, &token, None).await;
    let (second, gone) = stand.api(Method::DELETE, &path, &token, None).await;
    let (got, cancelled) = stand.api(Method::GET, &path, &token, None).await;
    let (unknown, missing) = stand
        .api(
            Method::DELETE,
            &format!("{PRIMARY}/nosuchevent"),
            &token,
            None,
        )
        .await;

    assert_eq!((first, empty), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(second, StatusCode::GONE);
    assert_eq!(gone["error"]["errors"][0]["reason"], "deleted");
    assert_eq!(gone["error"]["code"], 410);
    assert_eq!(
        (got, cancelled["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(missing["error"]["errors"][0]["reason"], "notFound");
}

#[tokio::test]
async fn patch_merges_fields_keeps_the_rest_and_bumps_the_sequence_when_times_move() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    let mut body = event("2026-12-01T09:00:00", "2026-12-01T09:30:00");
    body["extendedProperties"] = json!({"private": {"a": "1"}});
    let inserted = insert(&stand, &token, body).await;
    let path = format!("{PRIMARY}/{}", inserted["id"].as_str().unwrap());

    let (status, patched) = stand
        .api(
            Method::PATCH,
            &path,
            &token,
            Some(json!({
                "description": "moved",
                "extendedProperties": {"private": {"b": "2"}},
                "end": {"dateTime": "2026-12-01T10:00:00", "timeZone": "America/New_York"},
            })),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["summary"], "Check-up");
    assert_eq!(patched["description"], "moved");
    assert_eq!(
        patched["extendedProperties"]["private"],
        json!({"a": "1", "b": "2"})
    );
    assert_eq!(patched["end"]["dateTime"], "2026-12-01T10:00:00-05:00");
    assert_eq!(patched["sequence"], 1);
}

#[tokio::test]
async fn writing_to_a_reader_calendar_is_403_forbidden_but_reading_it_works() {
    let (stand, token) = Stand::with_calendars(&[EVENTS, CALENDARLIST_RO]).await;
    let holidays = stand.calendar_id(&token, "Holidays").await;
    let path = format!("/calendars/{holidays}/events");

    let (status, body) = stand
        .api(
            Method::POST,
            &path,
            &token,
            Some(event("2026-12-01T09:00:00", "2026-12-01T09:30:00")),
        )
        .await;
    let (read, list) = stand.api(Method::GET, &path, &token, None).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["errors"][0]["reason"], "forbidden");
    assert_eq!(body["error"]["code"], 403);
    assert_eq!(
        (read, list["accessRole"].as_str()),
        (StatusCode::OK, Some("reader"))
    );
}

#[tokio::test]
async fn list_filters_by_window_and_private_properties_hides_deleted_and_orders_by_start() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    for (summary, hour, tag) in [
        ("c", 11, "x"),
        ("a", 9, "x"),
        ("b", 10, "y"),
        ("d", 12, "x"),
        ("late", 18, "x"),
    ] {
        let mut body = event(
            &format!("2026-12-01T{hour:02}:00:00"),
            &format!("2026-12-01T{hour:02}:30:00"),
        );
        body["summary"] = summary.into();
        body["extendedProperties"] = json!({"private": {"tag": tag, "clinic": "1"}});
        insert(&stand, &token, body).await;
    }
    let (_, all) = stand.api(Method::GET, PRIMARY, &token, None).await;
    let deleted = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == "d")
        .unwrap()["id"]
        .clone();
    stand
        .api(
            Method::DELETE,
            &format!("{PRIMARY}/{}", deleted.as_str().unwrap()),
            &token,
            None,
        )
        .await;
    let window = "timeMin=2026-12-01T09:30:00-05:00&timeMax=2026-12-01T18:00:00-05:00";

    let (_, unordered) = stand
        .api(Method::GET, &format!("{PRIMARY}?{window}"), &token, None)
        .await;
    let (_, ordered) = stand
        .api(
            Method::GET,
            &format!("{PRIMARY}?{window}&singleEvents=true&orderBy=startTime"),
            &token,
            None,
        )
        .await;
    let tagged = format!(
        "{PRIMARY}?privateExtendedProperty=tag%3Dx&privateExtendedProperty=clinic%3D1&singleEvents=true&orderBy=startTime"
    );
    let (_, by_property) = stand.api(Method::GET, &tagged, &token, None).await;
    let (_, with_deleted) = stand
        .api(
            Method::GET,
            &format!("{tagged}&showDeleted=true"),
            &token,
            None,
        )
        .await;
    let (bad_order, refused) = stand
        .api(
            Method::GET,
            &format!("{PRIMARY}?orderBy=startTime"),
            &token,
            None,
        )
        .await;

    assert_eq!(ids(&unordered), ["c", "b"]);
    assert_eq!(ids(&ordered), ["b", "c"]);
    assert_eq!(ids(&by_property), ["a", "c", "late"]);
    assert_eq!(ids(&with_deleted), ["a", "c", "d", "late"]);
    assert_eq!(bad_order, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["error"]["message"],
        "The requested ordering is not available for the particular query."
    );
}

#[tokio::test]
async fn list_pages_with_max_results_and_page_tokens() {
    let (stand, token) = Stand::with_calendars(&[EVENTS]).await;
    for hour in 9..14 {
        let mut body = event(
            &format!("2026-12-01T{hour:02}:00:00"),
            &format!("2026-12-01T{hour:02}:30:00"),
        );
        body["summary"] = format!("{hour}").into();
        insert(&stand, &token, body).await;
    }

    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let page_token = next
            .as_ref()
            .map(|t| format!("&pageToken={t}"))
            .unwrap_or_default();
        let (status, page) = stand
            .api(
                Method::GET,
                &format!("{PRIMARY}?maxResults=2&singleEvents=true&orderBy=startTime{page_token}"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        seen.extend(ids(&page));
        match page["nextPageToken"].as_str() {
            Some(token) => next = Some(token.to_owned()),
            None => {
                assert!(page["nextSyncToken"].is_string());
                break;
            }
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, ["9", "10", "11", "12", "13"]);
}

#[tokio::test]
async fn unknown_google_paths_answer_in_googles_error_shape() {
    let stand = Stand::start().await;

    for path in [
        "/calendar/v3/nothing/here",
        "/calendar/v3",
        "/oauth2/v3/userinfo",
    ] {
        let response = stand
            .http
            .get(format!("{}{path}", stand.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 404, "{path}");
        assert_eq!(body["error"]["errors"][0]["reason"], "notFound", "{path}");
    }
    for path in ["/token/info", "/revoke/x"] {
        let body: Value = stand
            .http
            .post(format!("{}{path}", stand.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
    let put = stand
        .http
        .put(format!("{}/calendar/v3/freeBusy", stand.url))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = put.json().await.unwrap();
    assert_eq!(body["error"]["code"], 405);
}
