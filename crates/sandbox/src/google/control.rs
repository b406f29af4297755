//! The control API under `/sandbox/google/`: tests and the demo register OAuth clients and users,
//! break grants from the outside, arm faults, and read back what was booked or revoked.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::state::{
    Calendar, Client, Endpoint, Fault, FaultKind, Google, User, random_digits, random_string,
};

/// A control API error: `{"error":{"code","message"}}` with a message naming the field.
pub struct ControlError(StatusCode, &'static str, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"error": {"code": self.1, "message": self.2}})),
        )
            .into_response()
    }
}

impl From<JsonRejection> for ControlError {
    fn from(rejection: JsonRejection) -> Self {
        ControlError(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            rejection.body_text(),
        )
    }
}

fn not_found(email: &str) -> ControlError {
    ControlError(
        StatusCode::NOT_FOUND,
        "unknown_user",
        format!("no sandbox Google user has the email {email}"),
    )
}

type Result<T> = std::result::Result<T, ControlError>;

#[derive(Deserialize)]
pub struct NewClient {
    redirect_uris: Vec<String>,
}

pub async fn create_client(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<NewClient>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>)> {
    let Json(new) = body?;
    if new.redirect_uris.is_empty() {
        return Err(ControlError(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uris",
            "redirect_uris: give at least one URI".into(),
        ));
    }
    if let Some(bad) = new.redirect_uris.iter().find(|u| Url::parse(u).is_err()) {
        return Err(ControlError(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uris",
            format!("redirect_uris: {bad:?} is not an absolute URL"),
        ));
    }
    let client_id = format!(
        "{}-{}.apps.googleusercontent.com",
        random_digits(12),
        random_string(32).to_ascii_lowercase()
    );
    let client_secret = format!("GOCSPX-{}", random_string(28));
    let client = Client {
        secret: client_secret.clone(),
        redirect_uris: new.redirect_uris,
    };
    google.lock().clients.insert(client_id.clone(), client);
    Ok((
        StatusCode::CREATED,
        Json(json!({"client_id": client_id, "client_secret": client_secret})),
    ))
}

#[derive(Deserialize)]
pub struct NewUser {
    email: String,
    time_zone: Option<String>,
    #[serde(default)]
    calendars: Vec<NewCalendar>,
}

#[derive(Deserialize)]
pub struct NewCalendar {
    summary: String,
    time_zone: Option<String>,
    /// `owner` (default), `writer`, `reader` or `freeBusyReader`.
    access_role: Option<String>,
}

pub async fn create_user(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>)> {
    let Json(new) = body?;
    let email = new.email.trim().to_owned();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ControlError(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            format!("email: {email:?} is not an email address"),
        ));
    }
    let mut calendars = vec![Calendar {
        id: email.clone(),
        summary: email.clone(),
        time_zone: new.time_zone.unwrap_or_else(|| "UTC".into()),
        access_role: "owner".into(),
        primary: true,
        events: Vec::new(),
    }];
    for calendar in new.calendars {
        let role = calendar.access_role.unwrap_or_else(|| "owner".into());
        if !["owner", "writer", "reader", "freeBusyReader"].contains(&role.as_str()) {
            return Err(ControlError(
                StatusCode::BAD_REQUEST,
                "invalid_access_role",
                format!(
                    "calendars[].access_role: {role:?} is not owner, writer, reader or freeBusyReader"
                ),
            ));
        }
        calendars.push(Calendar {
            id: format!(
                "{}@group.calendar.google.com",
                random_string(26).to_ascii_lowercase()
            ),
            summary: calendar.summary,
            time_zone: calendar.time_zone.unwrap_or_else(|| "UTC".into()),
            access_role: role,
            primary: false,
            events: Vec::new(),
        });
    }
    let mut inner = google.lock();
    if inner.user_by_email(&email).is_some() {
        return Err(ControlError(
            StatusCode::CONFLICT,
            "duplicate_user",
            format!("email: a sandbox Google user {email} already exists"),
        ));
    }
    let sub = format!("1{}", random_digits(20));
    inner.users.push(User {
        sub: sub.clone(),
        email: email.clone(),
        calendars,
    });
    Ok((
        StatusCode::CREATED,
        Json(json!({"sub": sub, "email": email})),
    ))
}

/// Revokes every grant the user gave, as if they removed the app at myaccount.google.com.
pub async fn revoke_user(
    State(google): State<Arc<Google>>,
    Path(email): Path<String>,
) -> Result<Json<Value>> {
    let mut inner = google.lock();
    let sub = inner
        .user_by_email(&email)
        .map(|u| u.sub.clone())
        .ok_or_else(|| not_found(&email))?;
    let clients: Vec<String> = inner
        .consented
        .iter()
        .filter(|(s, _)| *s == sub)
        .map(|(_, c)| c.clone())
        .collect();
    for client_id in &clients {
        inner.revoke_grant(&sub, client_id, "control");
    }
    Ok(Json(json!({"revoked_grants": clients.len()})))
}

/// Whose tokens to expire.
#[derive(Deserialize)]
pub struct ExpireRefreshTokens {
    email: String,
}

/// Expires the user's refresh tokens (as after six months unused, or a "Testing" app's 7 days).
pub async fn expire_refresh_tokens(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<ExpireRefreshTokens>, JsonRejection>,
) -> Result<Json<Value>> {
    let Json(request) = body?;
    let mut inner = google.lock();
    let sub = inner
        .user_by_email(&request.email)
        .map(|u| u.sub.clone())
        .ok_or_else(|| not_found(&request.email))?;
    let mut expired = 0;
    for token in inner
        .refresh_tokens
        .values_mut()
        .filter(|t| t.user_sub == sub && !t.expired)
    {
        token.expired = true;
        expired += 1;
    }
    Ok(Json(json!({"expired": expired})))
}

/// Ends the user's access tokens now, leaving the grant and its refresh tokens alone: as when
/// Google invalidates an access token before its `expires_in` (a password change, a security
/// event). The next Calendar call with one answers 401; a refresh gets a new one.
pub async fn expire_access_tokens(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<ExpireRefreshTokens>, JsonRejection>,
) -> Result<Json<Value>> {
    let Json(request) = body?;
    let mut inner = google.lock();
    let sub = inner
        .user_by_email(&request.email)
        .map(|u| u.sub.clone())
        .ok_or_else(|| not_found(&request.email))?;
    let now = std::time::Instant::now();
    let mut expired = 0;
    for token in inner
        .access_tokens
        .values_mut()
        .filter(|t| t.user_sub == sub && t.expires_at > now)
    {
        token.expires_at = now;
        expired += 1;
    }
    Ok(Json(json!({"expired": expired})))
}

#[derive(Deserialize)]
pub struct SettingsPatch {
    access_token_ttl_secs: Option<u64>,
    code_ttl_secs: Option<u64>,
    slow_delay_ms: Option<u64>,
}

pub async fn put_settings(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<SettingsPatch>, JsonRejection>,
) -> Result<Json<Value>> {
    let Json(patch) = body?;
    let mut inner = google.lock();
    let settings = &mut inner.settings;
    settings.access_token_ttl_secs = patch
        .access_token_ttl_secs
        .unwrap_or(settings.access_token_ttl_secs);
    settings.code_ttl_secs = patch.code_ttl_secs.unwrap_or(settings.code_ttl_secs);
    settings.slow_delay_ms = patch.slow_delay_ms.unwrap_or(settings.slow_delay_ms);
    Ok(Json(json!(settings.clone())))
}

#[derive(Deserialize)]
pub struct NewFault {
    endpoint: Endpoint,
    fault: FaultKind,
    count: Option<u32>,
    /// Do the work before the fault answers (a write whose answer is lost or failed).
    #[serde(default)]
    process: bool,
}

pub async fn add_fault(
    State(google): State<Arc<Google>>,
    body: std::result::Result<Json<NewFault>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>)> {
    let Json(new) = body?;
    let remaining = new.count.unwrap_or(1);
    if remaining == 0 {
        return Err(ControlError(
            StatusCode::BAD_REQUEST,
            "invalid_count",
            "count: must be at least 1".into(),
        ));
    }
    google.lock().faults.push(Fault {
        endpoint: new.endpoint,
        kind: new.fault,
        remaining,
        process: new.process,
    });
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"endpoint": new.endpoint, "fault": new.fault, "count": remaining,
                    "process": new.process}),
        ),
    ))
}

/// Every event in the user's calendars, each with its `calendar_id`, oldest first per calendar.
pub async fn user_events(
    State(google): State<Arc<Google>>,
    Path(email): Path<String>,
) -> Result<Json<Value>> {
    let inner = google.lock();
    let user = inner
        .user_by_email(&email)
        .ok_or_else(|| not_found(&email))?;
    let events: Vec<Value> = user
        .calendars
        .iter()
        .flat_map(|c| {
            c.events.iter().map(|e| {
                let mut event = e.clone();
                event["calendar_id"] = c.id.clone().into();
                event
            })
        })
        .collect();
    Ok(Json(Value::Array(events)))
}

pub async fn revocations(State(google): State<Arc<Google>>) -> Json<Value> {
    Json(json!(google.lock().revocations))
}
