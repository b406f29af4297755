//! The clinic dashboard: server-rendered pages for a clinic's admins.
//!
//! An adapter like the JSON API: each handler parses a form, calls one use case (`crate::team`,
//! `crate::api_keys`, `crate::activity`, …) and renders the result in the dashboard's own words.
//! Pages are askama templates (escaped by default), work without JavaScript, and load nothing
//! from another origin; a small script of ours only adds live updates. Security: server-side
//! sessions ([`session`]), CSRF checks on every form ([`csrf`]), throttled sign-in
//! ([`throttle`]), and the headers in [`security_headers`] on every response.

mod activity_page;
mod api_keys_page;
mod assets;
mod audit_page;
mod calendar_page;
mod cookies;
mod csrf;
mod form;
mod lookup;
mod overview;
mod recheck;
mod render;
mod session;
mod settings_page;
mod sign_in;
mod team_page;
mod test_sms;
mod test_sms_status;
mod throttle;
mod twilio_account_page;
mod twilio_changes;
mod twilio_page;
mod webhooks_page;
mod week;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};

pub use self::cookies::CookiePolicy;
pub use self::session::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT};
use self::session::{Admin, resolve, to_sign_in};
use self::throttle::SignInThrottle;
use crate::services::Services;
use crate::traffic::RecentTraffic;

/// What every dashboard handler shares. Cheap to clone.
#[derive(Clone)]
pub struct Dashboard {
    /// What the use cases work with (the same as the JSON API's).
    services: Services,
    cookies: CookiePolicy,
    /// The service's public base URL, when configured (an accepted `Origin`).
    public_url: Option<String>,
    throttle: Arc<SignInThrottle>,
    /// The overview's week of counts, kept for a few seconds.
    traffic: Arc<RecentTraffic>,
}

/// How long the overview's counts are kept before they are counted again.
const TRAFFIC_TTL: Duration = Duration::from_secs(10);

impl Dashboard {
    fn store(&self) -> &crate::store::Store {
        &self.services.store
    }
}

impl Dashboard {
    pub fn new(services: Services, public_url: Option<&str>) -> Self {
        Self {
            services,
            cookies: CookiePolicy::for_public_url(public_url),
            public_url: public_url.map(|url| url.trim_end_matches('/').to_owned()),
            throttle: Arc::default(),
            traffic: Arc::new(RecentTraffic::new(TRAFFIC_TTL)),
        }
    }
}

/// Every dashboard route (and `GET /`), ready to merge into the service's router.
pub fn router<S>(services: Services, public_url: Option<&str>) -> Router<S> {
    Router::new()
        .route("/dashboard", get(overview::show))
        .route(
            "/dashboard/",
            get(|| async { Redirect::permanent("/dashboard") }),
        )
        .route(
            "/dashboard/sign-in",
            get(sign_in::show).post(sign_in::submit),
        )
        // Signing out is a form post; a typed-in address just goes to the dashboard.
        .route(
            "/dashboard/sign-out",
            get(|| async { Redirect::to("/dashboard") }).post(sign_in::sign_out),
        )
        .route("/dashboard/assets/{name}", get(assets::serve))
        .route(
            "/dashboard/twilio",
            get(twilio_page::show).post(twilio_page::add),
        )
        .route("/dashboard/twilio/{id}", get(twilio_account_page::show))
        .route(
            "/dashboard/twilio/{id}/verify",
            post(twilio_account_page::verify),
        )
        .route("/dashboard/twilio/{id}/test-sms", post(test_sms::test_sms))
        .route(
            "/dashboard/twilio/{id}/test-sms/{message}",
            get(test_sms::sms_status),
        )
        .route(
            "/dashboard/twilio/{id}/primary",
            post(twilio_changes::make_primary),
        )
        .route(
            "/dashboard/twilio/{id}/disable",
            post(twilio_changes::disable),
        )
        .route(
            "/dashboard/twilio/{id}/enable",
            post(twilio_changes::enable),
        )
        .route(
            "/dashboard/twilio/{id}/secret",
            post(twilio_changes::replace_secret),
        )
        .route(
            "/dashboard/twilio/{id}/delete",
            get(twilio_changes::confirm_delete).post(twilio_changes::delete),
        )
        .route("/dashboard/calendar", get(calendar_page::show))
        .route("/dashboard/calendar/connect", post(calendar_page::connect))
        .route(
            "/dashboard/calendar/{id}/disconnect",
            get(calendar_page::confirm_disconnect).post(calendar_page::disconnect),
        )
        .route(
            "/dashboard/settings",
            get(settings_page::show).post(settings_page::save),
        )
        .route("/dashboard/activity", get(activity_page::show))
        .route("/dashboard/activity/live", get(activity_page::live))
        .route("/dashboard/activity/{id}", get(activity_page::message))
        .merge(team_page::router())
        .merge(api_keys_page::router())
        .merge(webhooks_page::router())
        .merge(audit_page::router())
        .route("/dashboard/{*rest}", get(unknown_page))
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .layer(middleware::from_fn(security_headers))
        .with_state(Dashboard::new(services, public_url))
}

/// The policy of every dashboard response: our own scripts and styles only (none inline), never
/// in a frame, never cached (so "back" after signing out shows nothing).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    // Pages are never stored; only the assets say otherwise.
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

async fn unknown_page(admin: session::Admin) -> Response {
    render::not_found(&admin)
}

/// `next` when it is a dashboard page of this site (never another site, never a protocol-relative
/// or backslash trick), else `None`.
pub fn return_to(next: &str) -> Option<&str> {
    let is_dashboard =
        next == "/dashboard" || next.starts_with("/dashboard/") || next.starts_with("/dashboard?");
    let safe = !next.contains(['\\', '\r', '\n', '\t']) && !next.starts_with("//");
    (is_dashboard && safe && !next.starts_with("/dashboard/sign-")).then_some(next)
}

/// A signed-in admin as an extractor: the session resolved, or the sign-in page (and back), or
/// an error page that says nothing about the cause.
impl FromRequestParts<Dashboard> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Dashboard) -> Result<Self, Response> {
        match resolve(parts, state).await {
            Ok(Some(admin)) => Ok(admin),
            Ok(None) => Err(to_sign_in(parts)),
            Err(err) => Err(render::internal_error(&err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dashboard_paths_of_this_site_are_returned_to() {
        for good in [
            "/dashboard",
            "/dashboard/team",
            "/dashboard/audit?action=admin.added",
        ] {
            assert_eq!(return_to(good), Some(good));
        }
        for bad in [
            "https://evil.example/dashboard",
            "//evil.example/dashboard",
            "/\\evil.example",
            "/dashboardx",
            "/api/organization",
            "/dashboard/sign-in",
            "/dashboard/sign-out",
            "/dashboard/team\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(return_to(bad), None, "{bad}");
        }
    }
}
