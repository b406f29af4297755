//! `/dashboard/settings`: who gets hot-lead alerts, the clinic's time zone, when appointments can
//! be booked and its sending quota, checked by the same rules as the JSON API (the settings and
//! quota use cases).

use std::collections::BTreeMap;

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
use crate::field::FieldError;
use crate::org_settings::{self, BookingInput, SettingsError, SettingsInput};
use crate::quota::{self, QuotaError, QuotaInput};
use crate::store::BookingSettings;

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    nav: Nav,
    saved: bool,
    recipients: String,
    timezone: String,
    recipients_error: Option<String>,
    timezone_error: Option<String>,
    hours: String,
    slot_minutes: String,
    buffer_minutes: String,
    hours_error: Option<String>,
    slot_error: Option<String>,
    buffer_error: Option<String>,
    texts_per_minute: String,
    texts_per_day: String,
    quota_error: Option<String>,
    error: Option<String>,
}

/// The week as the page writes it: one line per day, `mon 09:00-12:30, 13:30-17:00` or
/// `sat closed`.
fn hours_text(booking: &BookingSettings) -> String {
    booking
        .opening_hours
        .to_pairs()
        .into_iter()
        .map(|(day, spans)| {
            if spans.is_empty() {
                format!("{day} closed")
            } else {
                let spans: Vec<String> = spans.iter().map(|[a, b]| format!("{a}-{b}")).collect();
                format!("{day} {}", spans.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of [`hours_text`] as the settings use case takes them; it checks every day and
/// span (a line it cannot read becomes a span it refuses, naming the day).
fn hours_input(text: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut days = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (day, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let spans = if rest.eq_ignore_ascii_case("closed") || rest.is_empty() {
            Vec::new()
        } else {
            rest.split(',')
                .map(|span| span.split('-').map(|t| t.trim().to_owned()).collect())
                .collect()
        };
        days.insert(day.to_lowercase(), spans);
    }
    days
}

/// A minutes field: empty keeps the current value.
fn minutes(field: &'static str, raw: &str) -> Result<Option<u32>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        FieldError::new(
            "invalid_minutes",
            field,
            format!("`{raw}` is not a number of minutes."),
        )
    })
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
        recipients_error: None,
        timezone_error: None,
        hours: hours_text(&settings.booking),
        slot_minutes: settings.booking.slot_minutes.to_string(),
        buffer_minutes: settings.booking.buffer_minutes.to_string(),
        hours_error: None,
        slot_error: None,
        buffer_error: None,
        texts_per_minute: limits.texts_per_minute.to_string(),
        texts_per_day: limits.texts_per_day.to_string(),
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
    opening_hours: String,
    #[serde(default)]
    slot_minutes: String,
    #[serde(default)]
    buffer_minutes: String,
    #[serde(default)]
    texts_per_minute: String,
    #[serde(default)]
    texts_per_day: String,
}
/// A limit as typed: blank keeps the stored one; anything but a whole number names the field.
fn typed_limit(field: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.replace([',', '_'], "")
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            FieldError::new(
                "invalid_quota",
                field,
                format!("`{raw}` is not a whole number of texts."),
            )
        })
}

pub async fn save(State(state): State<Dashboard>, posted: Posted<SettingsForm>) -> Response {
    let Posted { admin, form } = posted;
    let saved = match checked(&form) {
        Err(field) => Err(field),
        Ok((input, quota_patch)) => {
            match org_settings::update(&state.services, &admin.caller, input).await {
                Err(SettingsError::Invalid(field)) => Err(field),
                Err(err) => return render::internal_error(&err),
                Ok(_) => match quota::update(&state.services, &admin.caller, quota_patch).await {
                    Ok(_) => Ok(()),
                    Err(QuotaError::Invalid(field)) => Err(field),
                    Err(err) => return render::internal_error(&err),
                },
            }
        }
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
        recipients_error: None,
        timezone_error: None,
        hours: form.opening_hours,
        slot_minutes: form.slot_minutes,
        buffer_minutes: form.buffer_minutes,
        hours_error: None,
        slot_error: None,
        buffer_error: None,
        texts_per_minute: form.texts_per_minute,
        texts_per_day: form.texts_per_day,
        quota_error: None,
        error: None,
    };
    match field.field.split(['[', '.']).next().unwrap_or_default() {
        "alert_recipients" => page.recipients_error = Some(words(&field)),
        "timezone" => page.timezone_error = Some(words(&field)),
        "opening_hours" => page.hours_error = Some(words(&field)),
        "slot_minutes" => page.slot_error = Some(words(&field)),
        "buffer_minutes" => page.buffer_error = Some(words(&field)),
        "texts_per_minute" | "texts_per_day" => page.quota_error = Some(words(&field)),
        _ => page.error = Some(words(&field)),
    }
    render::page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// Every typed field read and the quota checked, before anything is stored: a bad value
/// changes nothing.
fn checked(
    form: &SettingsForm,
) -> Result<(SettingsInput, crate::store::QuotaLimitsPatch), FieldError> {
    let slot_minutes = minutes("slot_minutes", &form.slot_minutes)?;
    let buffer_minutes = minutes("buffer_minutes", &form.buffer_minutes)?;
    let quota_patch = quota::validated(QuotaInput {
        texts_per_minute: typed_limit("texts_per_minute", &form.texts_per_minute)?,
        texts_per_day: typed_limit("texts_per_day", &form.texts_per_day)?,
    })?;
    let input = SettingsInput {
        alert_recipients: Some(
            form.alert_recipients
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        timezone: Some(form.timezone.clone()),
        booking: BookingInput {
            // A form without the field (an older page) keeps the current hours.
            opening_hours: (!form.opening_hours.trim().is_empty())
                .then(|| hours_input(&form.opening_hours)),
            slot_minutes,
            buffer_minutes,
        },
    };
    Ok((input, quota_patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_round_trips_through_the_pages_text() {
        let text = hours_text(&BookingSettings::default());
        assert!(text.starts_with("mon 09:00-17:00\n"), "{text}");
        assert!(text.ends_with("sun closed"), "{text}");
        let days = hours_input("Mon 09:00-12:30, 13:30-17:00\nsat closed\n");
        assert_eq!(
            days["mon"],
            [vec!["09:00", "12:30"], vec!["13:30", "17:00"]]
        );
        assert!(days["sat"].is_empty());
    }
}
