//! `calendars/{calendarId}/events/{eventId}` and inserts, as Calendar API v3 does them: deleted
//! events stay as `cancelled` (a second delete is 410 `deleted`); times are completed and checked
//! on every write. The list is in `listing.rs`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::calendar::{Caller, authorize, etag, find_calendar, role_rank};
use super::errors::ApiError;
use super::scope;
use super::state::{BASE32HEX, Calendar, Endpoint, FaultAction, Google, Inner};
use super::times;

/// Fields Google sets itself; a client's values for them are ignored.
const READ_ONLY: &[&str] = &[
    "kind",
    "etag",
    "id",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
];

/// A successful answer: an event or list as JSON, or `204 No Content` for a delete.
pub enum Reply {
    Json(Value),
    Empty,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(body) => Json(body).into_response(),
            Reply::Empty => StatusCode::NO_CONTENT.into_response(),
        }
    }
}

/// Runs one Calendar method under the fault armed for `endpoint`, if any: a slow fault delays it,
/// a failing one answers instead of it, after doing the work when the fault says `process`.
pub async fn faulted(
    google: &Google,
    endpoint: Endpoint,
    work: impl FnOnce() -> Result<Reply, ApiError>,
) -> Response {
    let action = google.lock().take_fault(endpoint);
    match action {
        None => work().into_response(),
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            work().into_response()
        }
        Some(FaultAction::Fail { kind, process }) => {
            if process {
                // The answer is replaced by the fault whatever the work returned.
                let _ = work();
            }
            ApiError::fault(kind).into_response()
        }
    }
}

pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn zone_of(calendar: &Calendar) -> Tz {
    times::parse_zone(&calendar.time_zone).unwrap_or(Tz::UTC)
}

fn writable(calendar: &Calendar) -> Result<(), ApiError> {
    if role_rank(&calendar.access_role) < role_rank("writer") {
        return Err(ApiError::forbidden_writer());
    }
    Ok(())
}

pub(super) fn is_cancelled(event: &Value) -> bool {
    event["status"] == "cancelled"
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ApiError::bad_request("Parse Error", "parseError")),
    }
}

/// Completes `start`/`end` and refuses an end before the start.
fn check_times(event: &mut Map<String, Value>, zone: Tz) -> Result<(), ApiError> {
    for field in ["start", "end"] {
        let time = event
            .get_mut(field)
            .ok_or_else(|| ApiError::bad_request(format!("Missing {field} time."), "required"))?;
        times::normalize(time, field)?;
    }
    let span = times::span(&Value::Object(event.clone()), zone);
    if span.is_some_and(|(start, end)| end < start) {
        return Err(ApiError::calendar_parameter(
            "The specified time range is empty.",
            "timeRangeEmpty",
            "end",
        ));
    }
    Ok(())
}

/// Google's rule for client-chosen ids: base32hex characters, 5 to 1024 of them.
fn valid_event_id(id: &str) -> bool {
    (5..=1024).contains(&id.len()) && id.bytes().all(|b| BASE32HEX.contains(&b))
}

pub async fn insert(
    State(google): State<Arc<Google>>,
    Path(calendar_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = "calendar.v3.Events.Insert";
    let caller = match authorize(&google, &headers, scope::EVENTS_WRITE, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::EventsInsert, || {
        let event = json_object(&body)?;
        insert_event(&mut google.lock(), &caller, &calendar_id, event)
    })
    .await
}

fn insert_event(
    inner: &mut Inner,
    caller: &Caller,
    calendar_id: &str,
    mut event: Map<String, Value>,
) -> Result<Reply, ApiError> {
    let requested_id = match event.get("id") {
        None => None,
        Some(Value::String(id)) if valid_event_id(id) => Some(id.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid resource id value.",
                "invalid",
            ));
        }
    };
    let id = requested_id.unwrap_or_else(|| inner.next_event_id());
    let email = inner
        .user_by_sub(&caller.user_sub)
        .map(|u| u.email.clone())
        .unwrap_or_default();
    let calendar = find_calendar(inner, &caller.user_sub, calendar_id)?;
    writable(calendar)?;
    check_times(&mut event, zone_of(calendar))?;
    if calendar.events.iter().any(|e| e["id"] == id.as_str()) {
        return Err(ApiError::duplicate());
    }
    let status = match event.get("status").and_then(Value::as_str) {
        Some("tentative") => "tentative",
        _ => "confirmed",
    };
    let now = now();
    event.retain(|key, _| !READ_ONLY.contains(&key.as_str()));
    event.extend(
        json!({
            "kind": "calendar#event",
            "etag": etag(),
            "id": id,
            "status": status,
            "htmlLink": format!("https://www.google.com/calendar/event?eid={id}"),
            "created": now,
            "updated": now,
            "creator": {"email": email, "self": true},
            "organizer": {"email": calendar.id, "displayName": calendar.summary, "self": true},
            "iCalUID": format!("{id}@google.com"),
            "sequence": 0,
            "reminders": {"useDefault": true},
            "eventType": "default",
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let event = Value::Object(event);
    calendar.events.push(event.clone());
    Ok(Reply::Json(event))
}

type EventPath = Path<(String, String)>;

/// Finds the event `event_id` of the caller's calendar, with the calendar itself.
fn locate<'a>(
    inner: &'a mut Inner,
    caller: &Caller,
    calendar_id: &str,
    event_id: &str,
) -> Result<(&'a mut Calendar, usize), ApiError> {
    let calendar = find_calendar(inner, &caller.user_sub, calendar_id)?;
    let index = calendar
        .events
        .iter()
        .position(|e| e["id"] == event_id)
        .ok_or_else(ApiError::not_found)?;
    Ok((calendar, index))
}

/// A deleted event is still answered, with `status: "cancelled"`, as Google does.
pub async fn get(
    State(google): State<Arc<Google>>,
    Path((calendar_id, event_id)): EventPath,
    headers: HeaderMap,
) -> Response {
    let method = "calendar.v3.Events.Get";
    let caller = match authorize(&google, &headers, scope::EVENTS_READ, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::EventsGet, || {
        let mut inner = google.lock();
        let (calendar, index) = locate(&mut inner, &caller, &calendar_id, &event_id)?;
        Ok(Reply::Json(calendar.events[index].clone()))
    })
    .await
}

pub async fn delete(
    State(google): State<Arc<Google>>,
    Path((calendar_id, event_id)): EventPath,
    headers: HeaderMap,
) -> Response {
    let method = "calendar.v3.Events.Delete";
    let caller = match authorize(&google, &headers, scope::EVENTS_WRITE, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::EventsDelete, || {
        let mut inner = google.lock();
        let (calendar, index) = locate(&mut inner, &caller, &calendar_id, &event_id)?;
        writable(calendar)?;
        let event = &mut calendar.events[index];
        if is_cancelled(event) {
            return Err(ApiError::deleted());
        }
        event["status"] = "cancelled".into();
        event["updated"] = now().into();
        event["etag"] = etag().into();
        Ok(Reply::Empty)
    })
    .await
}

/// Patch semantics: the fields given replace the stored ones, objects are merged key by key,
/// arrays replaced whole, and `null` removes a field.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(&key), value) {
            (_, Value::Null) => {
                target.remove(&key);
            }
            (Some(Value::Object(existing)), Value::Object(inner)) => merge(existing, inner),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

pub async fn patch(
    State(google): State<Arc<Google>>,
    Path((calendar_id, event_id)): EventPath,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = "calendar.v3.Events.Patch";
    let caller = match authorize(&google, &headers, scope::EVENTS_WRITE, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::EventsPatch, || {
        let mut changes = json_object(&body)?;
        changes.retain(|key, _| !READ_ONLY.contains(&key.as_str()));
        let mut inner = google.lock();
        let (calendar, index) = locate(&mut inner, &caller, &calendar_id, &event_id)?;
        writable(calendar)?;
        let zone = zone_of(calendar);
        let Value::Object(mut event) = calendar.events[index].clone() else {
            return Err(ApiError::not_found());
        };
        let moved = changes.contains_key("start") || changes.contains_key("end");
        merge(&mut event, changes);
        check_times(&mut event, zone)?;
        if moved {
            let sequence = event.get("sequence").and_then(Value::as_u64).unwrap_or(0);
            event.insert("sequence".into(), (sequence + 1).into());
        }
        event.insert("updated".into(), now().into());
        event.insert("etag".into(), etag().into());
        let event = Value::Object(event);
        calendar.events[index] = event.clone();
        Ok(Reply::Json(event))
    })
    .await
}
