//! `/dashboard/settings`: who gets hot-lead alerts and the clinic's time zone, checked by the
//! same rules as the JSON API (the settings use case).

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

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    nav: Nav,
    saved: bool,
    recipients: String,
    timezone: String,
    recipients_error: Option<String>,
    timezone_error: Option<String>,
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
    let page = SettingsPage {
        nav: Nav::new(&admin, Section::Settings),
        saved: query.saved == "1",
        recipients: settings.alert_recipients.join("\n"),
        timezone: settings.timezone,
        recipients_error: None,
        timezone_error: None,
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
        // The page does not show the booking fields yet: they keep their current values.
        booking: Default::default(),
    };
    let field = match org_settings::replace(&state.services, &admin.caller, input).await {
        Ok(_) => return Redirect::to("/dashboard/settings?saved=1").into_response(),
        Err(SettingsError::Invalid(field)) => field,
        Err(err) => return render::internal_error(&err),
    };
    let mut page = SettingsPage {
        nav: Nav::new(&admin, Section::Settings),
        saved: false,
        recipients: form.alert_recipients,
        timezone: form.timezone,
        recipients_error: None,
        timezone_error: None,
        error: None,
    };
    match field.field.split('[').next().unwrap_or_default() {
        "alert_recipients" => page.recipients_error = Some(words(&field)),
        "timezone" => page.timezone_error = Some(words(&field)),
        _ => page.error = Some(words(&field)),
    }
    render::page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
