//! The JSON API, an adapter over the use cases: each handler parses the request, calls one use
//! case ([`crate::credentials`], [`crate::messaging`], [`crate::calendar`],
//! [`crate::org_settings`]) and maps its result to a status code and a JSON body; the rules
//! live in the use cases. Also health, metrics, the OpenAPI document and Twilio's status callbacks.
//!
//! Tenancy lives in the types: every `/api/…` handler takes a [`crate::tenant::Caller`], which
//! only the Bearer API key can produce here, and the use cases read the organization from it. The
//! path and the body never name the organization. Each endpoint module ends with `fn router()`.

pub mod appointments;
pub mod audit;
pub mod auth;
mod contract;
pub mod credentials;
pub mod docs;
pub mod error;
pub mod google_oauth;
pub mod health;
pub mod json;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod org_settings;
pub mod query;
pub mod rate_limit;
pub mod request_id;
pub mod state;
pub mod status_callbacks;
pub mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router, middleware};

pub use self::error::{ApiError, FieldError};
pub use self::state::AppState;

/// Every route of the service, with the request-id, metrics and body-limit layers around them.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(credentials::router())
        .merge(org_settings::router())
        .merge(audit::router())
        .merge(google_oauth::router())
        .merge(messages::router())
        .merge(appointments::router())
        .merge(webhooks::router());
    // A new endpoint module ends with `fn router()`, is merged above, and adds its paths to the
    // OpenAPI document in `openapi::document()`.
    let limit = state.body_limit();
    Router::new()
        .merge(health::router())
        .merge(openapi::router())
        .merge(api)
        .merge(crate::dashboard::router(
            state.services.clone(),
            state.public_url.as_deref(),
        ))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(Extension(json::BodyLimit(limit)))
        .layer(middleware::from_fn_with_state(
            state.metrics().clone(),
            metrics::middleware,
        ))
        .layer(middleware::from_fn(request_id::middleware))
        .with_state(state)
}
