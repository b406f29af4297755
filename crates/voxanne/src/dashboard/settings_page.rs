//! `/dashboard/settings`: who gets hot-lead alerts, the clinic's time zone and its sending
//! quota, checked by the same rules as the JSON API (the settings and quota use cases).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Dashboard;
use super::csrf::Posted;
use super::form::words;
use super::render::{self, Nav, Section};
use super::session::Admin;
use crate::org_settings::{self, SettingsError, SettingsInput};
use crate::quota::{self, QuotaError, QuotaInput};

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    nav: Nav,
    saved: bool,
    recipients: String,
    timezone: String,
    texts_per_minute: String,
    texts_per_day: String,
    recipients_error: Option<String>,
    timezone_error: Option<String>,
    quota_error: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

pub async fn show(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(query): Query<Saved>,
) -> Response {
    let settings = match org_settings::get(&state.services, &admin.caller).await {
        Ok(settings) => settings,
        Err(err) => return render::internal_error(&err),
    };
    let limits = match quota::limits(&state.services, &admin.caller).await {
        Ok(limits) => limits,
        Err(err) => return render::internal_error(&err),
    };
    let page = SettingsPage {
        nav: Nav::new(&admin, Section::Settings),
        saved: query.saved == "1",
        recipients: settings.alert_recipients.join("\n"),
        timezone: settings.timezone,
        texts_per_minute: limits.texts_per_minute.to_string(),
        texts_per_day: limits.texts_per_day.to_string(),
        recipients_error: None,
        timezone_error: None,
        quota_error: None,
        error: None,
    };
    render::page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    alert_recipients: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    texts_per_minute: String,
    #[serde(default)]
    texts_per_day: String,
}

/// A limit as typed: blank keeps the stored one; anything but a whole number names the field.
fn typed_limit(field: &str, raw: &str) -> Result<Option<i64>, crate::field::FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.replace([',', '_'], "")
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            crate::field::FieldError::new(
                "invalid_quota",
                field,
                format!("`{raw}` is not a whole number of texts."),
            )
        })
}

pub async fn save(State(state): State<Dashboard>, posted: Posted<SettingsForm>) -> Response {
    let Posted { admin, form } = posted;
    let input = SettingsInput {
        alert_recipients: form
            .alert_recipients
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        timezone: form.timezone.clone(),
    };
    // The quota is checked before anything is stored, so a bad limit changes nothing.
    let quota_patch = typed_limit("texts_per_minute", &form.texts_per_minute).and_then(|minute| {
        let day = typed_limit("texts_per_day", &form.texts_per_day)?;
        quota::validated(QuotaInput {
            texts_per_minute: minute,
            texts_per_day: day,
        })
    });
    let saved = match quota_patch {
        Err(field) => Err(field),
        Ok(patch) => match org_settings::replace(&state.services, &admin.caller, input).await {
            Err(SettingsError::Invalid(field)) => Err(field),
            Err(err) => return render::internal_error(&err),
            Ok(_) => match quota::update(&state.services, &admin.caller, patch).await {
                Ok(_) => Ok(()),
                Err(QuotaError::Invalid(field)) => Err(field),
                Err(err) => return render::internal_error(&err),
            },
        },
    };
    let field = match saved {
        Ok(()) => return Redirect::to("/dashboard/settings?saved=1").into_response(),
        Err(field) => field,
    };
    let mut page = SettingsPage {
        nav: Nav::new(&admin, Section::Settings),
        saved: false,
        recipients: form.alert_recipients,
        timezone: form.timezone,
        texts_per_minute: form.texts_per_minute,
        texts_per_day: form.texts_per_day,
        recipients_error: None,
        timezone_error: None,
        quota_error: None,
        error: None,
    };
    match field.field.split('[').next().unwrap_or_default() {
        "alert_recipients" => page.recipients_error = Some(words(&field)),
        "timezone" => page.timezone_error = Some(words(&field)),
        "texts_per_minute" | "texts_per_day" => page.quota_error = Some(words(&field)),
        _ => page.error = Some(words(&field)),
    }
    render::page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
