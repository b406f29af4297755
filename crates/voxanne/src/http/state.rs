//! What every handler shares: the use cases' services, and the JSON API's own parts (the rate
//! limiter, the body limit, the public URLs).

use axum::extract::FromRef;

use super::metrics::Metrics;
use super::rate_limit::KeyLimiter;
use crate::services::Services;
use crate::store::Store;

/// The application state.
#[derive(Clone)]
pub struct AppState {
    /// What the use cases work with.
    pub services: Services,
    pub limiter: KeyLimiter,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// The public base URL Twilio calls back to, without a trailing slash.
    pub public_url: Option<String>,
    /// Where the browser goes after connecting Google Calendar.
    pub dashboard_url: String,
    /// When the server re-checks credentials (its re-verifier runs beside the dispatcher).
    pub reverify: crate::reverify::Schedule,
}

impl AppState {
    pub fn store(&self) -> &Store {
        &self.services.store
    }

    pub fn limiter(&self) -> &KeyLimiter {
        &self.limiter
    }

    pub fn metrics(&self) -> &Metrics {
        &self.services.metrics
    }

    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.services.metrics.clone()
    }
}
