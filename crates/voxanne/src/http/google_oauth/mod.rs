//! Connecting a clinic's Google Calendar: `POST /api/organization/credentials/google_calendar/connect`
//! hands out Google's authorization URL; `GET /oauth/google/callback` is where Google sends the
//! clinic's browser back (see [`callback`]). The flow itself lives in [`crate::google_connection`].

pub mod callback;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::JsonBody;
use crate::calendar::{self, CalendarError, ConnectRequest};
use crate::google_connection::NOT_CONFIGURED;
use crate::tenant::Caller;

/// `POST /api/organization/credentials/google_calendar/connect` (the body may be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectGoogleIn {
    /// Re-authorize this existing Google Calendar credential (e.g. one marked
    /// `needs_reconnect`) instead of creating a new one. The person must sign in with the same
    /// Google account on Google's page (otherwise the callback answers 409
    /// `google_account_mismatch`). Without it, connecting a Google account this organization
    /// already has renews that credential.
    #[schema(example = "cred_0123456789abcdefghijklmnop")]
    pub credential_id: Option<String>,
    /// The Google account's email, to preselect it on Google's page.
    #[schema(max_length = 320, example = "front-desk@clinic.example")]
    pub login_hint: Option<String>,
}

/// Where to send the clinic's browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectGoogleOut {
    /// Google's consent page for Voxanne, with a single-use `state` and a PKCE challenge.
    pub authorization_url: String,
    /// When the link stops working (about 10 minutes).
    pub expires_at: DateTime<Utc>,
}

impl From<CalendarError> for ApiError {
    fn from(err: CalendarError) -> Self {
        match err {
            CalendarError::Invalid(mut field) => {
                if field.code == "invalid_credential_id" {
                    field.hint = Some("Use the `id` of a credential from GET /api/organization/credentials, or leave `credential_id` out to connect a new calendar.".to_owned());
                }
                ApiError::Invalid(field)
            }
            CalendarError::NotConfigured => ApiError::NotConfigured {
                message: NOT_CONFIGURED,
            },
            CalendarError::NotFound => ApiError::NotFound { what: "credential" },
            // A credential of another kind is, for this operation, no Google Calendar
            // connection at all: the same 404 as an id this organization does not have.
            CalendarError::NotGoogleCalendar => ApiError::Refused {
                status: axum::http::StatusCode::NOT_FOUND,
                field: crate::field::FieldError::new(
                    "credential_not_found",
                    "credential_id",
                    "`credential_id` names no Google Calendar connection of this organization.",
                )
                .with_hint("Give the id of a `google_calendar` credential from GET /api/organization/credentials, or leave `credential_id` out to connect a new calendar."),
            },
            CalendarError::Store(err) => ApiError::from(err),
            CalendarError::Credential(err) => ApiError::from(err),
        }
    }
}

/// Start connecting Google Calendar: answers the URL of Google's consent page.
///
/// Scopes requested: `calendar.events` (book appointments) and `calendar.calendarlist.readonly`
/// (list the calendars), with offline access and a forced consent screen so a refresh token is
/// always issued. Google then redirects the browser to `/oauth/google/callback`.
#[utoipa::path(post, path = "/api/organization/credentials/google_calendar/connect", tag = "credentials",
    request_body(content = Option<ConnectGoogleIn>, description = "May be empty"), security(("api_key" = [])),
    responses(
        (status = 200, description = "Send the clinic's browser to `authorization_url`", body = ConnectGoogleOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "`credential_id` names no Google Calendar connection of this organization (a Twilio credential's id included)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "Google Calendar is not configured on this server (the message names the settings)", body = ErrorBody),
    ))]
pub async fn connect(
    caller: Caller,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ConnectGoogleIn>,
) -> Result<Json<ConnectGoogleOut>, ApiError> {
    let request = ConnectRequest {
        credential_id: body.credential_id,
        login_hint: body.login_hint,
    };
    let link = calendar::connect(&state.services, &caller, request).await?;
    Ok(Json(ConnectGoogleOut {
        authorization_url: link.url.to_string(),
        expires_at: link.expires_at,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/organization/credentials/google_calendar/connect",
            post(connect),
        )
        .route(
            crate::google_connection::CALLBACK_PATH,
            get(callback::callback),
        )
}
