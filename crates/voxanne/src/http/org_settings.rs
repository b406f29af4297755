//! `/api/organization/settings`: where hot-lead alerts go and the clinic's time zone.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::JsonBody;
use crate::org_settings::{self, SettingsError, SettingsInput};
use crate::store::OrgSettings;
use crate::tenant::Caller;

/// The organization's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSettingsOut {
    /// Numbers (E.164) that receive hot-lead alerts.
    pub alert_recipients: Vec<String>,
    /// IANA time zone, e.g. `America/New_York`.
    pub timezone: String,
}

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
}

impl From<OrgSettings> for OrgSettingsOut {
    fn from(settings: OrgSettings) -> Self {
        Self {
            alert_recipients: settings.alert_recipients,
            timezone: settings.timezone,
        }
    }
}

impl From<OrgSettingsIn> for SettingsInput {
    fn from(body: OrgSettingsIn) -> Self {
        Self {
            alert_recipients: body.alert_recipients,
            timezone: body.timezone,
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
