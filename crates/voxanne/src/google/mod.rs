//! Google Calendar access for a clinic: the OAuth 2.0 web-server flow (PKCE, code exchange,
//! refresh, revocation) through the `oauth2` crate, and the few Calendar API calls Voxanne makes.
//!
//! The HTTP endpoints and the credential storage build on this; nothing here touches the
//! database. Every token is a `SecretString` and is exposed only at the call that sends it.

mod api;
mod backoff;
mod calendar;
mod config;
mod error;
mod events;
mod free_busy;
mod oauth;
mod retry;
mod scopes;
mod transport;

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenUrl,
};
use secrecy::ExposeSecret;

pub use backoff::Backoff;
pub use calendar::{CalendarListEntry, CalendarListPage, PrimaryCalendar};
pub use config::GoogleConfig;
pub use error::{Error, ErrorKind};
pub use events::{
    Deletion, Event, EventTime, EventWhen, EventsPage, ExtendedProperties, ListEvents, NewEvent,
};
pub use free_busy::Busy;
pub use oauth::{PkceVerifier, Revoked, TokenSet};
pub use retry::CalendarRetry;
pub use scopes::{
    CALENDAR_EVENTS, CALENDAR_EVENTS_FREEBUSY, CALENDAR_LIST_READONLY, GrantedAccess,
    REQUESTED as REQUESTED_SCOPES, check_scopes,
};

type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Voxanne's Google client: one per process, cheap to clone.
#[derive(Clone)]
pub struct GoogleClient {
    config: GoogleConfig,
    oauth: OAuthClient,
    http: reqwest::Client,
    calendar_retry: CalendarRetry,
}

impl std::fmt::Debug for GoogleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl GoogleClient {
    /// Builds the client. Redirects are never followed: a token endpoint that redirects is
    /// misconfigured, and following would forward credentials to another origin.
    pub fn new(config: GoogleConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(Error::HttpClient)?;
        let oauth = BasicClient::new(ClientId::new(config.client_id.clone()))
            // Reason: the secret is handed to the OAuth client that authenticates to Google with it.
            .set_client_secret(ClientSecret::new(
                config.client_secret.expose_secret().to_owned(),
            ))
            // Google accepts both; the form body is what its web-server guide documents.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(config.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(config.token_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(config.redirect_url.clone()));
        Ok(Self {
            config,
            oauth,
            http,
            calendar_retry: CalendarRetry::default(),
        })
    }

    pub fn config(&self) -> &GoogleConfig {
        &self.config
    }

    /// This client with another retry policy for Calendar calls (e.g. a request's own deadline
    /// as the budget). Cloning a client is cheap: the connection pool is shared.
    pub fn with_calendar_retry(mut self, retry: CalendarRetry) -> Self {
        self.calendar_retry = retry;
        self
    }

    pub fn calendar_retry(&self) -> &CalendarRetry {
        &self.calendar_retry
    }
}
