//! A stand-in for the Google endpoints Voxanne uses: the OAuth 2.0 authorization page with a
//! consent screen, the token and revoke endpoints, and the Calendar API's calendar list and
//! events, behaving as Google's "OAuth 2.0 for Web Server Applications" and the Calendar v3
//! reference describe them. A control API under `/sandbox/google/` sets up clients and users and
//! breaks things on purpose.
//!
//! Paths match Google's: point `auth_url` at `{url}/o/oauth2/v2/auth`, `token_url` at
//! `{url}/token`, `revoke_url` at `{url}/revoke` and the Calendar base at `{url}/calendar/v3`.

mod authorize;
mod calendar;
mod control;
mod errors;
mod events;
mod freebusy;
mod listing;
mod scope;
mod state;
mod times;
mod token;
mod unknown;

use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get, post, put};

/// The Google stand-in with its own fresh state; merge it into the sandbox's router.
pub fn router() -> Router {
    let google = Arc::new(state::Google::default());
    Router::new()
        .route(
            "/o/oauth2/v2/auth",
            get(authorize::show).post(authorize::decide),
        )
        .route("/token", post(token::token).fallback(unknown::oauth_method))
        .route(
            "/revoke",
            post(token::revoke).fallback(unknown::oauth_method),
        )
        .route(
            "/calendar/v3/users/me/calendarList",
            get(calendar::calendar_list).fallback(unknown::api_method),
        )
        .route(
            "/calendar/v3/freeBusy",
            post(freebusy::query).fallback(unknown::api_method),
        )
        .route(
            "/calendar/v3/calendars/{calendar_id}/events",
            get(listing::list)
                .post(events::insert)
                .fallback(unknown::api_method),
        )
        .route(
            "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
            get(events::get)
                .patch(events::patch)
                .delete(events::delete)
                .fallback(unknown::api_method),
        )
        // Google's hosts answer any other path in their own error shape, never Twilio's.
        .route("/calendar/v3", any(unknown::api_path))
        .route("/calendar/v3/{*rest}", any(unknown::api_path))
        .route("/oauth2/{*rest}", any(unknown::api_path))
        .route("/o/oauth2/{*rest}", any(unknown::oauth_path))
        .route("/token/{*rest}", any(unknown::oauth_path))
        .route("/revoke/{*rest}", any(unknown::oauth_path))
        .route("/sandbox/google/clients", post(control::create_client))
        .route("/sandbox/google/users", post(control::create_user))
        .route(
            "/sandbox/google/users/{email}/revoke",
            post(control::revoke_user),
        )
        .route(
            "/sandbox/google/users/{email}/events",
            get(control::user_events),
        )
        .route(
            "/sandbox/google/refresh-tokens/expire",
            post(control::expire_refresh_tokens),
        )
        .route(
            "/sandbox/google/access-tokens/expire",
            post(control::expire_access_tokens),
        )
        .route("/sandbox/google/settings", put(control::put_settings))
        .route("/sandbox/google/faults", post(control::add_fault))
        .route("/sandbox/google/revocations", get(control::revocations))
        .with_state(google)
}
