//! What every Calendar API v3 call shares (the Bearer token check, paging, calendar lookup) and
//! `users/me/calendarList`. Events live in `events.rs`, free/busy in `freebusy.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::scope;
use super::state::{Calendar, Endpoint, Google, Inner};
use super::token::apply_fault;

type Params = Query<HashMap<String, String>>;

/// The user and scopes behind a valid Bearer token.
pub struct Caller {
    pub user_sub: String,
    scopes: Vec<String>,
}

/// The caller of a method that accepts any of `accepted` scopes (Google answers 401 before 403).
pub async fn authorize(
    google: &Google,
    headers: &HeaderMap,
    accepted: &[&str],
    method: &str,
) -> Result<Caller, ApiError> {
    let caller = caller(google, headers).await?;
    if scope::allows(&caller.scopes, accepted) {
        Ok(caller)
    } else {
        Err(ApiError::insufficient_scope(method))
    }
}

async fn caller(google: &Google, headers: &HeaderMap) -> Result<Caller, ApiError> {
    apply_fault(google, Endpoint::Calendar)
        .await
        .map_err(ApiError::fault)?;
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(ApiError::missing_credentials)?;
    let inner = google.lock();
    let access = inner
        .access_tokens
        .get(token)
        .filter(|t| t.expires_at > Instant::now())
        .ok_or_else(ApiError::invalid_credentials)?;
    Ok(Caller {
        user_sub: access.user_sub.clone(),
        scopes: access.scopes.clone(),
    })
}

pub fn role_rank(role: &str) -> u8 {
    match role {
        "owner" => 3,
        "writer" => 2,
        "reader" => 1,
        _ => 0,
    }
}

/// Page boundaries: `maxResults` (capped at `cap`) and an opaque `pageToken` holding an offset.
pub fn page(
    params: &HashMap<String, String>,
    default: usize,
    cap: usize,
) -> Result<(usize, usize), ApiError> {
    let size = match params.get("maxResults") {
        None => default,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(cap),
            _ => {
                return Err(ApiError::bad_request(
                    format!("Invalid value '{raw}'. Values must be within the range: [1, {cap}]"),
                    "invalid",
                ));
            }
        },
    };
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => decode_page_token(token)
            .ok_or_else(|| ApiError::bad_request("Invalid page token value.", "invalid"))?,
    };
    Ok((offset, size))
}

fn decode_page_token(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

pub fn page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

pub async fn calendar_list(
    State(google): State<Arc<Google>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    match list_calendars(&google, &headers, &params).await {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn list_calendars(
    google: &Google,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let caller = caller(google, headers).await?;
    if !scope::allows(&caller.scopes, scope::CALENDAR_LIST_READ) {
        return Err(ApiError::insufficient_scope(
            "calendar.v3.CalendarList.List",
        ));
    }
    let min_rank = match params.get("minAccessRole").map(String::as_str) {
        None => 0,
        Some(role @ ("freeBusyReader" | "reader" | "writer" | "owner")) => role_rank(role),
        Some(other) => {
            return Err(ApiError::bad_request(
                format!("Invalid value for minAccessRole: {other}"),
                "invalid",
            ));
        }
    };
    let (offset, size) = page(params, 100, 250)?;
    let inner = google.lock();
    let user = inner
        .user_by_sub(&caller.user_sub)
        .ok_or_else(ApiError::invalid_credentials)?;
    let matching: Vec<&Calendar> = user
        .calendars
        .iter()
        .filter(|c| role_rank(&c.access_role) >= min_rank)
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(size)
        .map(|c| list_entry(c))
        .collect();
    let mut body = json!({"kind": "calendar#calendarList", "etag": etag(), "items": items});
    if offset + size < matching.len() {
        body["nextPageToken"] = page_token(offset + size).into();
    } else {
        body["nextSyncToken"] = format!("sync{}", Utc::now().timestamp_micros()).into();
    }
    Ok(body)
}

fn list_entry(calendar: &Calendar) -> Value {
    let mut entry = json!({
        "kind": "calendar#calendarListEntry",
        "etag": etag(),
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "selected": true,
        "defaultReminders": [],
    });
    if calendar.primary {
        entry["primary"] = true.into();
    }
    entry
}

pub fn etag() -> String {
    format!("\"{}\"", Utc::now().timestamp_micros())
}

pub fn find_calendar<'a>(
    inner: &'a mut Inner,
    user_sub: &str,
    calendar_id: &str,
) -> Result<&'a mut Calendar, ApiError> {
    let user = inner
        .user_by_sub_mut(user_sub)
        .ok_or_else(ApiError::invalid_credentials)?;
    let email = user.email.clone();
    user.calendars
        .iter_mut()
        .find(|c| {
            if calendar_id == "primary" {
                c.primary
            } else {
                c.id == calendar_id || (c.primary && calendar_id == email)
            }
        })
        .ok_or_else(ApiError::not_found)
}
