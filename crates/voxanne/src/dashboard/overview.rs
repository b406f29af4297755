//! `/dashboard`: each connection's health at a glance, the last 7 days (texts per day by
//! outcome, hot-lead delivery time), and what needs attention.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use chrono::Utc;

use super::Dashboard;
use super::render::{self, Nav, Section, when};
use super::session::Admin;
use super::week::{self, Week};
use crate::credentials;
use crate::store::{Credential, CredentialType, VerificationStatus};

/// A status in words with an icon, never colour alone.
pub struct Badge {
    /// `ok`, `bad`, `warn` or `off`: the colour, which only repeats the words.
    pub class: &'static str,
    pub icon: &'static str,
    pub words: &'static str,
}

pub fn badge(credential: &Credential) -> Badge {
    let (class, icon, words) = if !credential.is_active {
        ("off", "⊘", "disabled")
    } else {
        match credential.verification_status {
            VerificationStatus::Verified => ("ok", "✓", "verified"),
            VerificationStatus::Unverified => ("warn", "?", "not verified yet"),
            VerificationStatus::Failed => ("bad", "✕", "failed"),
            VerificationStatus::NeedsReconnect => ("bad", "↻", "needs reconnect"),
            VerificationStatus::Undecryptable => ("bad", "✕", "cannot be decrypted"),
        }
    };
    Badge { class, icon, words }
}

struct CredentialRow {
    label: String,
    href: String,
    kind: &'static str,
    primary: bool,
    badge: Badge,
    verified: String,
}

struct Attention {
    words: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    nav: Nav,
    clinic: String,
    credentials: Vec<CredentialRow>,
    attention: Vec<Attention>,
    week: Week,
}

fn kind_words(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::Twilio => "Twilio account",
        CredentialType::GoogleCalendar => "Google Calendar",
    }
}

fn href(credential: &Credential) -> String {
    match credential.kind {
        CredentialType::Twilio => format!("/dashboard/twilio/{}", credential.id),
        CredentialType::GoogleCalendar => "/dashboard/calendar".to_owned(),
    }
}

/// What a person should look at, in words.
fn attention(credential: &Credential) -> Option<Attention> {
    if !credential.is_active {
        return None;
    }
    let label = &credential.label;
    let words = match credential.verification_status {
        VerificationStatus::Failed => {
            format!("{label}: the last verification failed. Open it and press Verify to see why.")
        }
        VerificationStatus::Undecryptable => format!(
            "{label}: its secrets cannot be decrypted with the server's keys. Replace its secret."
        ),
        VerificationStatus::NeedsReconnect => {
            format!("{label}: Google no longer accepts this connection. Reconnect the calendar.")
        }
        VerificationStatus::Verified | VerificationStatus::Unverified => return None,
    };
    Some(Attention {
        words,
        href: Some(href(credential)),
    })
}

pub async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    let org = match state.store().get_organization(admin.caller.org()).await {
        Ok(org) => org,
        Err(err) => return render::internal_error(&err),
    };
    let credentials = match credentials::list(&state.services, &admin.caller, None).await {
        Ok(credentials) => credentials,
        Err(err) => return render::internal_error(&err),
    };
    let today = Utc::now().date_naive();
    let traffic = match state
        .traffic
        .last_week(&state.services, &admin.caller, today)
        .await
    {
        Ok(traffic) => traffic,
        Err(err) => return render::internal_error(&err),
    };
    let week = week::chart(&traffic);
    let mut attention: Vec<Attention> = credentials.iter().filter_map(attention).collect();
    if week.flagged > 0 {
        attention.push(Attention {
            words: format!(
                "{} text(s) of the last 7 days are flagged for a person: Twilio's answer was unclear and they were not resent blindly.",
                week.flagged
            ),
            href: Some("/dashboard/activity".to_owned()),
        });
    }
    let page = OverviewPage {
        nav: Nav::new(&admin, Section::Overview),
        clinic: org.name,
        attention,
        credentials: credentials
            .iter()
            .map(|credential| CredentialRow {
                label: credential.label.clone(),
                href: href(credential),
                kind: kind_words(credential.kind),
                primary: credential.is_primary,
                badge: badge(credential),
                verified: credential
                    .verified_at
                    .as_ref()
                    .map_or_else(|| "never".to_owned(), when),
            })
            .collect(),
        week,
    };
    render::page(StatusCode::OK, &page)
}
