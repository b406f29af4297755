//! `/dashboard/calendar`: the clinic's Google Calendar connections; connect (through Google's
//! consent page, which returns here), reconnect, disconnect with a confirmation step. The rules
//! are the calendar use case's.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Dashboard;
use super::csrf::Posted;
use super::lookup::{CalendarConnection, PostedTo, Viewing};
use super::overview::{Badge, badge};
use super::render::{self, Confirm, Nav, Section, when};
use super::session::Admin;
use crate::calendar::{self, CalendarError, ConnectRequest};
use crate::credentials;
use crate::store::{CredentialType, VerificationStatus};

struct CalendarRow {
    id: String,
    account: String,
    calendar: String,
    badge: Badge,
    verified: String,
    needs_reconnect: bool,
    /// The last scheduled re-check, in words.
    recheck: String,
}

#[derive(Template)]
#[template(path = "dashboard/calendar.html")]
struct CalendarPage {
    nav: Nav,
    configured: bool,
    calendars: Vec<CalendarRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    google: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    done: String,
}

/// Why Google's consent did not end in a connection, by the callback's reason code. Fixed
/// sentences only: a link cannot make the page say anything else.
fn refusal_words(reason: &str) -> &'static str {
    match reason {
        "access_denied" => {
            "Google Calendar was not connected: access was declined on Google's page. To connect it, press \"Connect Google Calendar\" again and choose Continue on Google's page."
        }
        "calendar_permission_not_granted" => {
            "Google Calendar was not connected: the permission to see and edit calendar events was not granted (its box was unticked on Google's page). Connect again and tick the calendar boxes. A calendar already connected keeps working."
        }
        "no_refresh_token" => {
            "Google Calendar was not connected: Google did not issue a lasting token. Remove Voxanne from the Google account's third-party access page, then connect again."
        }
        "credential_gone" => {
            "The calendar being reconnected was disconnected meanwhile. Connect it again as a new calendar."
        }
        "code_rejected" | "missing_code" => {
            "Google Calendar was not connected: Google's answer could not be used (it expired or was used already). Press \"Connect Google Calendar\" again."
        }
        "google_unavailable" => {
            "Google Calendar was not connected: Google did not answer properly. Wait a few minutes, then connect again."
        }
        _ => {
            "Google Calendar was not connected: Google refused to complete the connection. Try again; if it keeps failing, ask the operator to check the server's Google settings."
        }
    }
}

async fn page(
    state: &Dashboard,
    admin: &Admin,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let kind = Some(CredentialType::GoogleCalendar);
    let calendars = match credentials::list(&state.services, &admin.caller, kind).await {
        Ok(calendars) => calendars,
        Err(err) => return render::internal_error(&err),
    };
    let page = CalendarPage {
        nav: Nav::new(admin, Section::Calendar),
        configured: state.services.google.ready().is_some(),
        calendars: calendars
            .iter()
            .map(|credential| CalendarRow {
                id: credential.id.to_string(),
                account: credential.display.google_email.clone().unwrap_or_default(),
                calendar: credential
                    .display
                    .calendar_id
                    .clone()
                    .unwrap_or_else(|| "primary".to_owned()),
                badge: badge(credential),
                verified: credential
                    .verified_at
                    .as_ref()
                    .map_or_else(|| "never".to_owned(), when),
                needs_reconnect: credential.verification_status
                    == VerificationStatus::NeedsReconnect,
                recheck: super::recheck::recheck_words(credential),
            })
            .collect(),
        notice,
        error,
    };
    render::page(status, &page)
}

pub async fn show(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(back): Query<Back>,
) -> Response {
    // Fixed sentences only: a link cannot make the page say anything else.
    let notice = match (back.google.as_str(), back.done.as_str()) {
        ("connected", _) => Some("Google Calendar is connected."),
        (_, "disconnected") => Some("The calendar is disconnected and its tokens destroyed."),
        _ => None,
    };
    let error = (back.google == "refused").then(|| refusal_words(&back.reason).to_owned());
    page(&state, &admin, StatusCode::OK, notice, error).await
}

#[derive(Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    credential_id: String,
}

fn calendar_words(err: CalendarError) -> Result<String, CalendarError> {
    Ok(match err {
        CalendarError::NotConfigured => "Google Calendar is not set up on this server yet: the operator must set VOXANNE_GOOGLE_CLIENT_ID and VOXANNE_GOOGLE_CLIENT_SECRET.".to_owned(),
        CalendarError::Invalid(field) => super::form::words(&field),
        other => return Err(other),
    })
}

/// Sends the browser to Google's consent page; Google sends it back to this page.
pub async fn connect(State(state): State<Dashboard>, posted: Posted<ConnectForm>) -> Response {
    let Posted { admin, form } = posted;
    let request = ConnectRequest {
        credential_id: super::form::given(&form.credential_id),
        login_hint: None,
    };
    match calendar::connect(&state.services, &admin.caller, request).await {
        Ok(link) => Redirect::to(link.url.as_str()).into_response(),
        Err(CalendarError::NotFound | CalendarError::NotGoogleCalendar) => {
            render::not_found(&admin)
        }
        Err(err) => match calendar_words(err) {
            Ok(words) => {
                page(
                    &state,
                    &admin,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(words),
                )
                .await
            }
            Err(other) => render::internal_error(&other),
        },
    }
}

pub async fn confirm_disconnect(viewing: Viewing<CalendarConnection>) -> Response {
    let Viewing {
        admin,
        object: CalendarConnection(credential),
    } = viewing;
    let account = credential.display.google_email.clone().unwrap_or_default();
    let confirm = Confirm {
        nav: Nav::new(&admin, Section::Calendar),
        title: "Disconnect Google Calendar",
        question: format!(
            "Disconnect the calendar of {account}? Voxanne's access is revoked at Google and its tokens destroyed; you can connect again later."
        ),
        action: format!("/dashboard/calendar/{}/disconnect", credential.id),
        yes: "Yes, disconnect",
        back: "/dashboard/calendar",
        error: None,
    };
    render::page(StatusCode::OK, &confirm)
}

pub async fn disconnect(
    State(state): State<Dashboard>,
    posted: PostedTo<CalendarConnection>,
) -> Response {
    let PostedTo {
        admin,
        object: CalendarConnection(credential),
        ..
    } = posted;
    let disconnected = calendar::disconnect(&state.services, &admin.caller, &credential.id).await;
    render::after_change(
        &admin,
        disconnected,
        "/dashboard/calendar?done=disconnected",
        |err| matches!(err, CalendarError::NotFound),
    )
}
