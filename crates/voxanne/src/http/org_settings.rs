//! `/api/organization/settings`: where hot-lead alerts go, the clinic's time zone, and when
//! appointments can be booked.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::JsonBody;
use crate::org_settings::{self, BookingInput, SettingsError, SettingsInput};
use crate::store::OrgSettings;
use crate::tenant::Caller;

/// The organization's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSettingsOut {
    /// Numbers (E.164) that receive hot-lead alerts.
    pub alert_recipients: Vec<String>,
    /// IANA time zone, e.g. `America/New_York`.
    pub timezone: String,
    /// Opening hours per weekday (`mon` … `sun`): pairs of local `HH:MM` times; a day without
    /// spans is closed.
    #[schema(value_type = OpeningHoursSchema)]
    pub opening_hours: BTreeMap<String, Vec<[String; 2]>>,
    /// Slots start every this many minutes from each opening.
    pub slot_minutes: u32,
    /// Free minutes kept before and after every appointment and busy time.
    pub buffer_minutes: u32,
}

/// Opening hours per weekday, e.g. `{"mon": [["09:00","12:30"],["13:30","17:00"]]}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[allow(dead_code)] // Only its schema is used: the document's shape of `opening_hours`.
pub struct OpeningHoursSchema {
    #[schema(inline)]
    pub mon: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub tue: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub wed: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub thu: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub fri: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub sat: Option<Vec<SpanSchema>>,
    #[schema(inline)]
    pub sun: Option<Vec<SpanSchema>>,
}

/// `["HH:MM", "HH:MM"]`: an opening span in local time, start before end (`24:00` may end it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(value_type = Vec<String>, min_items = 2, max_items = 2)]
pub struct SpanSchema(pub [String; 2]);

/// `PUT /api/organization/settings`: the whole settings object.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsIn {
    /// Numbers (E.164, e.g. `+14155552671`) that receive hot-lead alerts; at most 20.
    #[schema(max_items = 20)]
    pub alert_recipients: Vec<String>,
    /// IANA time zone name, e.g. `America/New_York`, `Europe/Paris`, `UTC`.
    #[schema(example = "America/New_York")]
    pub timezone: String,
    /// Opening hours per weekday; left out, they stay as they are.
    #[serde(default)]
    #[schema(value_type = Option<OpeningHoursSchema>)]
    pub opening_hours: Option<BTreeMap<String, Vec<Vec<String>>>>,
    /// 5 to 480; left out, it stays as it is.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 480)]
    pub slot_minutes: Option<u32>,
    /// 0 to 240; left out, it stays as it is.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_minutes: Option<u32>,
}

impl From<OrgSettings> for OrgSettingsOut {
    fn from(settings: OrgSettings) -> Self {
        Self {
            alert_recipients: settings.alert_recipients,
            timezone: settings.timezone,
            opening_hours: settings
                .booking
                .opening_hours
                .to_pairs()
                .into_iter()
                .map(|(day, spans)| (day.to_owned(), spans))
                .collect(),
            slot_minutes: settings.booking.slot_minutes,
            buffer_minutes: settings.booking.buffer_minutes,
        }
    }
}

impl From<OrgSettingsIn> for SettingsInput {
    fn from(body: OrgSettingsIn) -> Self {
        Self {
            alert_recipients: body.alert_recipients,
            timezone: body.timezone,
            booking: BookingInput {
                opening_hours: body.opening_hours,
                slot_minutes: body.slot_minutes,
                buffer_minutes: body.buffer_minutes,
            },
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::Invalid(field) => ApiError::Invalid(field),
            SettingsError::Store(err) => ApiError::from(err),
        }
    }
}

/// Read the organization's settings.
#[utoipa::path(get, path = "/api/organization/settings", tag = "organization", security(("api_key" = [])),
    responses(
        (status = 200, description = "The settings", body = OrgSettingsOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn get_settings(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<OrgSettingsOut>, ApiError> {
    Ok(Json(
        org_settings::get(&state.services, &caller).await?.into(),
    ))
}

/// Replace the organization's settings.
#[utoipa::path(put, path = "/api/organization/settings", tag = "organization",
    request_body = OrgSettingsIn, security(("api_key" = [])),
    responses(
        (status = 200, description = "The stored settings (numbers normalized, duplicates removed)", body = OrgSettingsOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn put_settings(
    caller: Caller,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<OrgSettingsIn>,
) -> Result<Json<OrgSettingsOut>, ApiError> {
    Ok(Json(
        org_settings::replace(&state.services, &caller, body.into())
            .await?
            .into(),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/organization/settings",
        get(get_settings).put(put_settings),
    )
}
