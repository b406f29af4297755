//! `POST /calendar/v3/freeBusy`: the busy periods of some calendars in a window. Cancelled and
//! `transparent` ("show as available") events are not busy; overlapping periods are merged and
//! clipped to the window; times are written in the request's `timeZone` (UTC by default). A
//! calendar the user cannot see answers `errors: [{reason: notFound}]` in its entry, not a 404.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::calendar::{Caller, authorize, find_calendar};
use super::errors::ApiError;
use super::events::{Reply, faulted};
use super::scope;
use super::state::{Endpoint, Google, Inner};
use super::times;

/// Google's limit on `items` per query.
const MAX_CALENDARS: usize = 50;

struct Request {
    time_min: DateTime<Utc>,
    time_max: DateTime<Utc>,
    zone: Option<Tz>,
    ids: Vec<String>,
}

pub async fn query(State(google): State<Arc<Google>>, headers: HeaderMap, body: Bytes) -> Response {
    let method = "calendar.v3.Freebusy.Query";
    let caller = match authorize(&google, &headers, scope::FREEBUSY_QUERY, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::FreeBusy, || {
        let request = parse(&body)?;
        Ok(Reply::Json(answer(&mut google.lock(), &caller, &request)))
    })
    .await
}

fn instant(body: &Map<String, Value>, field: &str) -> Result<DateTime<Utc>, ApiError> {
    let raw = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request(format!("Missing {field}."), "required"))?;
    times::parse_instant(raw)
        .ok_or_else(|| ApiError::bad_request(format!("Invalid value for: {field}"), "invalid"))
}

fn parse(body: &[u8]) -> Result<Request, ApiError> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::bad_request("Parse Error", "parseError"));
    };
    let (time_min, time_max) = (instant(&body, "timeMin")?, instant(&body, "timeMax")?);
    if time_max <= time_min {
        return Err(ApiError::calendar_parameter(
            "The specified time range is empty.",
            "timeRangeEmpty",
            "timeMax",
        ));
    }
    let zone = match body.get("timeZone").and_then(Value::as_str) {
        None => None,
        Some(name) => Some(
            times::parse_zone(name)
                .ok_or_else(|| ApiError::bad_request("Invalid time zone", "invalid"))?,
        ),
    };
    let ids: Vec<String> = body
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if ids.len() > MAX_CALENDARS {
        return Err(ApiError::calendar_parameter(
            "The number of calendars requested is too large.",
            "tooManyCalendarsRequested",
            "items",
        ));
    }
    Ok(Request {
        time_min,
        time_max,
        zone,
        ids,
    })
}

fn answer(inner: &mut Inner, caller: &Caller, request: &Request) -> Value {
    let mut calendars = BTreeMap::new();
    for id in &request.ids {
        let entry = match find_calendar(inner, &caller.user_sub, id) {
            Ok(calendar) => {
                let zone = times::parse_zone(&calendar.time_zone).unwrap_or(Tz::UTC);
                let periods = busy(&calendar.events, zone, request.time_min, request.time_max);
                let busy: Vec<Value> = periods
                    .into_iter()
                    .map(|(start, end)| {
                        json!({"start": times::render(start, request.zone),
                               "end": times::render(end, request.zone)})
                    })
                    .collect();
                json!({ "busy": busy })
            }
            Err(_) => json!({
                "errors": [{"domain": "global", "reason": "notFound"}],
                "busy": [],
            }),
        };
        calendars.insert(id.clone(), entry);
    }
    json!({
        "kind": "calendar#freeBusy",
        "timeMin": request.time_min.to_rfc3339_opts(SecondsFormat::Millis, true),
        "timeMax": request.time_max.to_rfc3339_opts(SecondsFormat::Millis, true),
        "calendars": calendars,
    })
}

/// The merged busy periods of `events` inside `[min, max)`.
fn busy(
    events: &[Value],
    zone: Tz,
    min: DateTime<Utc>,
    max: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut periods: Vec<(DateTime<Utc>, DateTime<Utc>)> = events
        .iter()
        .filter(|e| e["status"] != "cancelled" && e["transparency"] != "transparent")
        .filter_map(|e| times::span(e, zone))
        .filter(|(start, end)| *end > min && *start < max && end > start)
        .map(|(start, end)| (start.max(min), end.min(max)))
        .collect();
    periods.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(periods.len());
    for (start, end) in periods {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}
