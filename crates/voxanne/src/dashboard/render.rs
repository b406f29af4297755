//! Rendering pages: the layout's navigation, askama templates to responses, and the error pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::session::Admin;

/// The dashboard's sections, in the order the navigation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Twilio,
    Calendar,
    Activity,
    Settings,
    ApiKeys,
    Webhooks,
    Team,
    Audit,
    /// A page outside the navigation (sign-in, errors).
    Elsewhere,
}

const SECTIONS: [(Section, &str, &str); 9] = [
    (Section::Overview, "Overview", "/dashboard"),
    (Section::Twilio, "Twilio", "/dashboard/twilio"),
    (Section::Calendar, "Calendar", "/dashboard/calendar"),
    (Section::Activity, "Activity", "/dashboard/activity"),
    (Section::Settings, "Settings", "/dashboard/settings"),
    (Section::ApiKeys, "API keys", "/dashboard/api-keys"),
    (Section::Webhooks, "Webhooks", "/dashboard/webhooks"),
    (Section::Team, "Team", "/dashboard/team"),
    (Section::Audit, "Audit log", "/dashboard/audit"),
];

pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// Who is signed in (for the header and the sign-out form).
pub struct SignedIn {
    pub email: String,
    pub csrf: String,
}

/// What the layout needs: the signed-in admin (if any) and the section being shown.
pub struct Nav {
    pub signed_in: Option<SignedIn>,
    pub current: Section,
}

impl Nav {
    pub fn new(admin: &Admin, current: Section) -> Self {
        Self {
            signed_in: Some(SignedIn {
                email: admin.email.clone(),
                csrf: admin.csrf_token.clone(),
            }),
            current,
        }
    }

    pub fn signed_out() -> Self {
        Self {
            signed_in: None,
            current: Section::Elsewhere,
        }
    }

    /// The session's CSRF token, for the hidden field of every form ("" when signed out).
    pub fn csrf(&self) -> &str {
        self.signed_in
            .as_ref()
            .map_or("", |signed_in| signed_in.csrf.as_str())
    }

    pub fn items(&self) -> Vec<NavItem> {
        SECTIONS
            .iter()
            .map(|&(section, label, href)| NavItem {
                label,
                href,
                current: section == self.current,
            })
            .collect()
    }
}

/// A time as pages show it.
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A rendered template, or the error page if rendering failed.
/// A confirmation step before an action that cannot be undone.
#[derive(Template)]
#[template(path = "dashboard/confirm.html")]
pub struct Confirm<'a> {
    pub nav: Nav,
    pub title: &'a str,
    pub question: String,
    /// Where the form posts.
    pub action: String,
    /// The button's words, e.g. "Yes, revoke".
    pub yes: &'a str,
    /// Where "Cancel" goes.
    pub back: &'a str,
    pub error: Option<String>,
}

pub fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => internal_error(&err),
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    nav: Nav,
    title: &'a str,
    message: &'a str,
}

fn error_page(status: StatusCode, nav: Nav, title: &str, message: &str) -> Response {
    let html = ErrorPage {
        nav,
        title,
        message,
    }
    .render()
    // The error page's own failure must not recurse: fall back to its words in plain text.
    .map(|html| Html(html).into_response())
    .unwrap_or_else(|_| message.to_owned().into_response());
    (status, html).into_response()
}

fn nav_of(admin: Option<&Admin>) -> Nav {
    admin.map_or_else(Nav::signed_out, |admin| Nav::new(admin, Section::Elsewhere))
}

pub fn not_found(admin: &Admin) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        nav_of(Some(admin)),
        "Not found",
        "There is nothing here. It may have been deleted, or the link may be wrong.",
    )
}

pub fn forbidden(admin: Option<&Admin>) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        nav_of(admin),
        "This form cannot be accepted",
        "It was sent from another site or from a page that has expired. Nothing was changed. Go back, reload the page and try again.",
    )
}

pub fn bad_request(admin: &Admin) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        nav_of(Some(admin)),
        "This form could not be read",
        "Nothing was changed. Go back, reload the page and try again.",
    )
}

/// Whether `err`, or a cause of it, is the database being out of reach (an outage, not a bug).
fn is_outage(err: &(dyn std::error::Error + 'static)) -> bool {
    use crate::calendar::CalendarError;
    use crate::credentials::CredentialError;
    use crate::messaging::{ReadError, SendError};
    use crate::store::StoreError;
    let mut current = Some(err);
    while let Some(err) = current {
        let outage = matches!(err.downcast_ref(), Some(StoreError::Unavailable { .. }))
            || matches!(err.downcast_ref(), Some(ReadError::Unavailable(_)))
            || matches!(err.downcast_ref(), Some(SendError::Unavailable(_)))
            // These wrap the store's error transparently, so the chain skips it.
            || matches!(
                err.downcast_ref(),
                Some(CredentialError::Store(StoreError::Unavailable { .. }))
            )
            || matches!(
                err.downcast_ref(),
                Some(CalendarError::Store(StoreError::Unavailable { .. }))
            );
        if outage {
            return true;
        }
        current = err.source();
    }
    false
}

/// After a change that leaves the page: on to `next`, or the not-found page when `missing` says
/// the thing is gone, or the error page.
pub fn after_change<T, E: std::error::Error + 'static>(
    admin: &Admin,
    result: Result<T, E>,
    next: &str,
    missing: impl Fn(&E) -> bool,
) -> Response {
    match result {
        Ok(_) => axum::response::Redirect::to(next).into_response(),
        Err(err) if missing(&err) => not_found(admin),
        Err(err) => internal_error(&err),
    }
}

/// Logs `err` with its whole chain of causes and answers a page that says nothing about it
/// (503 with a word of advice when the database is out of reach).
pub fn internal_error(err: &(dyn std::error::Error + 'static)) -> Response {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "dashboard request failed");
    if is_outage(err) {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            Nav::signed_out(),
            "Try again in a moment",
            "The database is not reachable right now; try again in a moment.",
        );
    }
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        Nav::signed_out(),
        "Something went wrong",
        "The page could not be shown. Nothing has been lost; try again in a moment.",
    )
}
