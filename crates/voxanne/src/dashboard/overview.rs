//! `/dashboard`: each connection's health at a glance, and what needs attention.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::Dashboard;
use super::render::{self, Nav, Section, when};
use super::session::Admin;
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
    kind: &'static str,
    primary: bool,
    badge: Badge,
    verified: String,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    nav: Nav,
    clinic: String,
    credentials: Vec<CredentialRow>,
    attention: Vec<String>,
}

fn kind_words(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::Twilio => "Twilio account",
        CredentialType::GoogleCalendar => "Google Calendar",
    }
}

/// What a person should look at, in words.
fn attention(credential: &Credential) -> Option<String> {
    if !credential.is_active {
        return None;
    }
    let label = &credential.label;
    match credential.verification_status {
        VerificationStatus::Failed => Some(format!(
            "{label}: the last verification failed. Open it and press Verify to see why."
        )),
        VerificationStatus::Undecryptable => Some(format!(
            "{label}: its secrets cannot be decrypted with the server's keys. Replace its secret."
        )),
        VerificationStatus::NeedsReconnect => Some(format!(
            "{label}: Google no longer accepts this connection. Reconnect the calendar."
        )),
        VerificationStatus::Verified | VerificationStatus::Unverified => None,
    }
}

pub async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    let org = match state.store().get_organization(admin.caller.org()).await {
        Ok(org) => org,
        Err(err) => return render::internal_error(&err),
    };
    let credentials = match state
        .store()
        .list_credentials(admin.caller.org(), None)
        .await
    {
        Ok(credentials) => credentials,
        Err(err) => return render::internal_error(&err),
    };
    let page = OverviewPage {
        nav: Nav::new(&admin, Section::Overview),
        clinic: org.name,
        attention: credentials.iter().filter_map(attention).collect(),
        credentials: credentials
            .iter()
            .map(|credential| CredentialRow {
                label: credential.label.clone(),
                kind: kind_words(credential.kind),
                primary: credential.is_primary,
                badge: badge(credential),
                verified: credential
                    .verified_at
                    .as_ref()
                    .map_or_else(|| "never".to_owned(), when),
            })
            .collect(),
    };
    render::page(StatusCode::OK, &page)
}
