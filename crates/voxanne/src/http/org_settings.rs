//! `/api/organization/settings`: where hot-lead alerts go, the clinic's time zone, when
//! appointments can be booked, and its sending quota. A `PUT` changes the fields it names and
//! keeps the others.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody, FieldError};
use super::json::JsonBody;
use crate::org_settings::{self, BookingInput, SettingsError, SettingsInput};
use crate::quota::{self, QuotaError, QuotaInput, QuotaLimits};
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
    /// Texts this organization may queue in any 60 seconds (default 120).
    pub texts_per_minute: u32,
    /// Texts this organization may queue in any 24 hours (default 5000).
    pub texts_per_day: u32,
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

/// `PUT /api/organization/settings`: the fields to change; an absent field keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsIn {
    /// Numbers (E.164, e.g. `+14155552671`) that receive hot-lead alerts; at most 20.
    #[schema(max_items = 20)]
    pub alert_recipients: Option<Vec<String>>,
    /// IANA time zone name, e.g. `America/New_York`, `Europe/Paris`, `UTC`.
    #[schema(example = "America/New_York")]
    pub timezone: Option<String>,
    /// Opening hours per weekday: the whole week, replaced. A day left out or `null` is closed,
    /// as `[]` is.
    #[serde(default)]
    #[schema(value_type = Option<OpeningHoursSchema>)]
    pub opening_hours: Option<BTreeMap<String, Option<Vec<Vec<String>>>>>,
    /// 5 to 480.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 480)]
    pub slot_minutes: Option<u32>,
    /// 0 to 240.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 240)]
    pub buffer_minutes: Option<u32>,
    /// Texts this organization may queue in any 60 seconds; a send beyond it is refused with 429.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10000)]
    pub texts_per_minute: Option<serde_json::Number>,
    /// Texts this organization may queue in any 24 hours; a send beyond it is refused with 429.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub texts_per_day: Option<serde_json::Number>,
}

impl OrgSettingsOut {
    fn new(settings: OrgSettings, quota: QuotaLimits) -> Self {
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
            texts_per_minute: quota.texts_per_minute,
            texts_per_day: quota.texts_per_day,
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(err: QuotaError) -> Self {
        match err {
            QuotaError::Invalid(field) => ApiError::Invalid(field),
            QuotaError::Store(err) => ApiError::from(err),
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
    let settings = org_settings::get(&state.services, &caller).await?;
    let quota = quota::limits(&state.services, &caller).await?;
    Ok(Json(OrgSettingsOut::new(settings, quota)))
}

/// Change the organization's settings: the fields sent; the others keep their value.
///
/// `opening_hours` replaces the whole week: a day left out, `null` or `[]` is closed. Rules the
/// schema cannot state: each span starts before it ends, and a day's spans are in order without
/// overlapping; a day that breaks one is refused with 422 naming it (e.g. `opening_hours.wed[1]`).
#[utoipa::path(put, path = "/api/organization/settings", tag = "organization",
    request_body = OrgSettingsIn, security(("api_key" = [])),
    responses(
        (status = 200, description = "All the settings as stored (numbers normalized, duplicates removed)", body = OrgSettingsOut),
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
    let services = &state.services;
    // Every field is checked before anything is stored, so a bad one changes nothing.
    let quota_patch = quota::validated(QuotaInput {
        texts_per_minute: whole("texts_per_minute", body.texts_per_minute)?,
        texts_per_day: whole("texts_per_day", body.texts_per_day)?,
    })?;
    let input = SettingsInput {
        alert_recipients: body.alert_recipients,
        timezone: body.timezone,
        booking: BookingInput {
            // A day sent as `null` is closed, like one left out (the week is replaced whole).
            opening_hours: body.opening_hours.map(|days| {
                days.into_iter()
                    .map(|(day, spans)| (day, spans.unwrap_or_default()))
                    .collect()
            }),
            slot_minutes: body.slot_minutes,
            buffer_minutes: body.buffer_minutes,
        },
    };
    let settings = if input.names_nothing() {
        org_settings::get(services, &caller).await?
    } else {
        org_settings::update(services, &caller, input).await?
    };
    let quota = if quota_patch == Default::default() {
        quota::limits(services, &caller).await?
    } else {
        quota::update(services, &caller, quota_patch).await?
    };
    Ok(Json(OrgSettingsOut::new(settings, quota)))
}

/// A JSON number that is a whole number: JSON Schema's `integer` includes `250.0`, so it is
/// accepted as 250. Beyond `i64` it saturates, and the range check refuses it.
fn whole(field: &str, value: Option<serde_json::Number>) -> Result<Option<i64>, ApiError> {
    let Some(number) = value else {
        return Ok(None);
    };
    if let Some(int) = number.as_i64() {
        return Ok(Some(int));
    }
    if number.as_u64().is_some() {
        return Ok(Some(i64::MAX));
    }
    match number.as_f64() {
        // Saturating: the range check names the field for anything this large.
        #[allow(clippy::cast_possible_truncation)]
        Some(float) if float.fract() == 0.0 => Ok(Some(float as i64)),
        _ => Err(FieldError::new(
            "invalid_quota",
            field,
            format!("`{field}` must be a whole number; it is {number}"),
        )
        .into()),
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/organization/settings",
        get(get_settings).put(put_settings),
    )
}
