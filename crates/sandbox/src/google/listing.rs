//! `events.list`: filters by time window, private/shared extended properties and `showDeleted`,
//! orders by start time for single events, and pages, as Calendar API v3 does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::calendar::{Caller, authorize, etag, find_calendar, page, page_token};
use super::errors::ApiError;
use super::events::{Reply, faulted, is_cancelled, now, zone_of};
use super::scope;
use super::state::{Endpoint, Google, Inner};
use super::times;

/// The query of `events.list`, with repeatable parameters kept.
struct ListQuery {
    first: HashMap<String, String>,
    private: Vec<(String, String)>,
    shared: Vec<(String, String)>,
}

fn bad_request() -> ApiError {
    ApiError::bad_request("Bad Request", "badRequest")
}

fn flag(query: &ListQuery, name: &str) -> Result<bool, ApiError> {
    match query.first.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            format!("Invalid value for: {name}"),
            "invalid",
        )),
    }
}

fn bound(query: &ListQuery, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    query
        .first
        .get(name)
        .map(|raw| times::parse_instant(raw).ok_or_else(bad_request))
        .transpose()
}

fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        first: HashMap::new(),
        private: Vec::new(),
        shared: Vec::new(),
    };
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let list = match key.as_ref() {
            "privateExtendedProperty" => &mut query.private,
            "sharedExtendedProperty" => &mut query.shared,
            _ => {
                query
                    .first
                    .entry(key.into_owned())
                    .or_insert(value.into_owned());
                continue;
            }
        };
        let (name, wanted) = value
            .split_once('=')
            .ok_or_else(|| ApiError::bad_request(format!("Invalid value for: {key}"), "invalid"))?;
        list.push((name.to_owned(), wanted.to_owned()));
    }
    Ok(query)
}

fn has_properties(event: &Value, kind: &str, wanted: &[(String, String)]) -> bool {
    let properties = &event["extendedProperties"][kind];
    wanted
        .iter()
        .all(|(name, value)| properties[name].as_str() == Some(value))
}

pub async fn list(
    State(google): State<Arc<Google>>,
    Path(calendar_id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let method = "calendar.v3.Events.List";
    let caller = match authorize(&google, &headers, scope::EVENTS_READ, method).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    faulted(&google, Endpoint::EventsList, || {
        let query = parse_list_query(raw.as_deref())?;
        list_events(&mut google.lock(), &caller, &calendar_id, &query)
    })
    .await
}

fn list_events(
    inner: &mut Inner,
    caller: &Caller,
    calendar_id: &str,
    query: &ListQuery,
) -> Result<Reply, ApiError> {
    let (time_min, time_max) = (bound(query, "timeMin")?, bound(query, "timeMax")?);
    if let (Some(min), Some(max)) = (time_min, time_max)
        && max <= min
    {
        return Err(ApiError::calendar_parameter(
            "The specified time range is empty.",
            "timeRangeEmpty",
            "timeMax",
        ));
    }
    let single_events = flag(query, "singleEvents")?;
    let show_deleted = flag(query, "showDeleted")?;
    let by_start = match query.first.get("orderBy").map(String::as_str) {
        None | Some("updated") => false,
        Some("startTime") if single_events => true,
        Some("startTime") => {
            return Err(ApiError::bad_request(
                "The requested ordering is not available for the particular query.",
                "badRequest",
            ));
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid value for: orderBy",
                "invalid",
            ));
        }
    };
    let zone_name = match query.first.get("timeZone") {
        Some(name) if times::parse_zone(name).is_some() => Some(name.clone()),
        Some(_) => return Err(ApiError::bad_request("Invalid time zone", "invalid")),
        None => None,
    };
    let (offset, size) = page(&query.first, 250, 2500)?;
    let calendar = find_calendar(inner, &caller.user_sub, calendar_id)?;
    let zone = zone_of(calendar);
    let mut matching: Vec<(Option<DateTime<Utc>>, &Value)> = calendar
        .events
        .iter()
        .filter(|e| show_deleted || !is_cancelled(e))
        .filter(|e| has_properties(e, "private", &query.private))
        .filter(|e| has_properties(e, "shared", &query.shared))
        .filter_map(|e| {
            let span = times::span(e, zone);
            let inside = span.is_none_or(|(start, end)| {
                time_min.is_none_or(|min| end > min) && time_max.is_none_or(|max| start < max)
            });
            inside.then_some((span.map(|(start, _)| start), e))
        })
        .collect();
    if by_start {
        matching.sort_by_key(|(start, _)| *start);
    }
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|(_, e)| (*e).clone())
        .collect();
    let mut body = json!({
        "kind": "calendar#events",
        "etag": etag(),
        "summary": calendar.summary,
        "timeZone": zone_name.unwrap_or_else(|| calendar.time_zone.clone()),
        "accessRole": calendar.access_role,
        "updated": now(),
        "defaultReminders": [],
        "items": items,
    });
    if offset + size < matching.len() {
        body["nextPageToken"] = page_token(offset + size).into();
    } else {
        body["nextSyncToken"] = format!("sync{}", Utc::now().timestamp_micros()).into();
    }
    Ok(Reply::Json(body))
}
