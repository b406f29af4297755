//! `/api/organization/settings`: where hot-lead alerts go and the clinic's time zone.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Tenant;
use super::error::{ApiError, ErrorBody, FieldError};
use super::json::JsonBody;
use crate::phone::PhoneNumber;
use crate::store::{MAX_ALERT_RECIPIENTS, OrgSettings};

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

fn validated(body: OrgSettingsIn) -> Result<OrgSettings, ApiError> {
    if body.alert_recipients.len() > MAX_ALERT_RECIPIENTS {
        return Err(FieldError::new(
            "too_many_recipients",
            "alert_recipients",
            format!("At most {MAX_ALERT_RECIPIENTS} alert recipients are allowed."),
        )
        .with_hint("Keep the staff who must hear about hot leads at once.")
        .into());
    }
    let mut recipients: Vec<String> = Vec::with_capacity(body.alert_recipients.len());
    for (index, raw) in body.alert_recipients.iter().enumerate() {
        let field = format!("alert_recipients[{index}]");
        let number = PhoneNumber::parse(&field, raw)?;
        if !recipients.iter().any(|seen| seen == number.as_str()) {
            recipients.push(number.as_str().to_owned());
        }
    }
    let timezone = body.timezone.trim().to_owned();
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(FieldError::new(
            "invalid_timezone",
            "timezone",
            "`timezone` is not an IANA time zone name.",
        )
        .with_hint("Use a name such as America/New_York, Europe/Paris or UTC.")
        .into());
    }
    Ok(OrgSettings {
        alert_recipients: recipients,
        timezone,
    })
}

/// Read the organization's settings.
#[utoipa::path(get, path = "/api/organization/settings", tag = "organization", security(("api_key" = [])),
    responses(
        (status = 200, description = "The settings", body = OrgSettingsOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn get_settings(
    tenant: Tenant,
    State(state): State<AppState>,
) -> Result<Json<OrgSettingsOut>, ApiError> {
    Ok(Json(
        state.store().get_settings(&tenant.org_id).await?.into(),
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
    tenant: Tenant,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<OrgSettingsIn>,
) -> Result<Json<OrgSettingsOut>, ApiError> {
    let settings = validated(body)?;
    Ok(Json(
        state
            .store()
            .update_settings(&tenant.org_id, &settings)
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
