//! What every handler shares: the store, how to reach Twilio, the rate limiter and the metrics.
//!
//! Plain public fields (each cheap to clone: pools and `Arc`s inside), so endpoint modules from
//! other branches can add what they need (e.g. the outbox's `delivery`) without wrappers.

use axum::extract::FromRef;

use super::metrics::Metrics;
use super::rate_limit::KeyLimiter;
use crate::store::Store;

/// The application state.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The server's own Twilio endpoints: verification and sending never use an address a
    /// tenant supplied.
    pub twilio: twilio::Config,
    /// One connection pool shared by every tenant's Twilio calls.
    pub http: reqwest::Client,
    pub limiter: KeyLimiter,
    pub metrics: Metrics,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// The public base URL Twilio calls back to, without a trailing slash.
    pub public_url: Option<String>,
    /// Google Calendar connections, or why they are not configured.
    pub google: crate::google_connection::GoogleSetup,
    /// Where the browser goes after connecting Google Calendar.
    pub dashboard_url: String,
    /// The outbox and its dispatcher (started by [`super::serve`]).
    pub delivery: crate::delivery::Delivery,
}

impl AppState {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A Twilio client for one tenant's credentials, on the server's configured base URL.
    pub fn twilio_client(&self, credentials: twilio::Credentials) -> twilio::Client {
        twilio::Client::with_http_client(credentials, self.twilio.clone(), self.http.clone())
    }

    pub fn limiter(&self) -> &KeyLimiter {
        &self.limiter
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}
