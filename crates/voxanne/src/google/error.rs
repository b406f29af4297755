//! `google::Error`: everything that can go wrong talking to Google, sorted by what the caller
//! should do about it (see [`Error::kind`]).

use std::time::Duration;

/// What a caller does with an error: retry later, ask the clinic to reconnect, or stop and fix
/// something on our side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 5xx, 429 or a network failure: retry with backoff.
    Transient,
    /// The grant is gone (revoked, expired, or missing a scope): mark the credential
    /// `needs_reconnect` and never retry in a loop.
    NeedsReconnect,
    /// A bug or a configuration problem on our side (wrong client secret, malformed request).
    Permanent,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid Google configuration: `{field}` is not a valid URL")]
    Config {
        field: &'static str,
        #[source]
        source: url::ParseError,
    },
    #[error("could not build the HTTP client for Google")]
    HttpClient(#[source] reqwest::Error),
    #[error("could not reach Google")]
    Network(#[source] reqwest::Error),
    #[error("Google is unavailable right now (HTTP {status}); retry later")]
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// 429, or 403 `rateLimitExceeded`/`userRateLimitExceeded`: Google refused the call before
    /// doing anything, so it is safe to repeat after a wait.
    #[error("Google's rate limit was hit (HTTP {status}); retry after a wait")]
    RateLimited {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the calendar or event does not exist, or this account cannot see it (404 notFound)")]
    NotFound,
    #[error("the event has already been deleted (410 deleted)")]
    Deleted,
    #[error("an event with this id already exists in the calendar (409 duplicate)")]
    Duplicate,
    #[error("Google refused the write: this account may only read this calendar (403 {reason})")]
    Forbidden { reason: String },
    #[error(
        "Google no longer accepts this grant ({description}); the clinic must reconnect its Google Calendar"
    )]
    InvalidGrant { description: String },
    #[error(
        "Google rejected Voxanne's OAuth client ({error}); check the configured Google client_id and client_secret"
    )]
    ClientRejected { error: String },
    #[error("Google refused the OAuth request: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        error: String,
        description: Option<String>,
    },
    #[error(
        "the Google account did not grant calendar access ({}); reconnect and leave the calendar boxes ticked",
        missing.join(", ")
    )]
    ScopesNotGranted { missing: Vec<String> },
    #[error("Google did not accept the access token (401); refresh it and try once more")]
    Unauthenticated,
    #[error(
        "the access token lacks a scope this Calendar call needs (403 ACCESS_TOKEN_SCOPE_INSUFFICIENT); reconnect with the calendar scopes"
    )]
    ScopeInsufficient,
    #[error(
        "the primary calendar is not writable (access role `{access_role}`); booking needs writer or owner"
    )]
    NotWritable { access_role: String },
    #[error("the Calendar API answered HTTP {status}: {message}")]
    Api { status: u16, message: String },
    #[error("Google answered something Voxanne cannot read: {detail}")]
    UnexpectedResponse {
        detail: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Network(_) | Self::Unavailable { .. } | Self::RateLimited { .. } => {
                ErrorKind::Transient
            }
            Self::InvalidGrant { .. }
            | Self::ScopesNotGranted { .. }
            | Self::ScopeInsufficient
            | Self::NotWritable { .. } => ErrorKind::NeedsReconnect,
            Self::Config { .. }
            | Self::HttpClient(_)
            | Self::ClientRejected { .. }
            | Self::OAuth { .. }
            | Self::Unauthenticated
            | Self::Api { .. }
            | Self::NotFound
            | Self::Deleted
            | Self::Duplicate
            | Self::Forbidden { .. }
            | Self::UnexpectedResponse { .. } => ErrorKind::Permanent,
        }
    }

    /// Whether a write may have taken effect although no success came back: a 5xx (Google may
    /// have written before failing) or a request sent whose answer never arrived (timeout, reset).
    /// The caller reconciles (e.g. lists events by a private extended property) before writing
    /// again. A connection that was never opened, or a rate-limit refusal, is not such a case.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            // A success whose body could not be read did take effect.
            Self::Unavailable { .. } | Self::UnexpectedResponse { .. } => true,
            Self::Network(error) => !error.is_connect() && !error.is_builder(),
            _ => false,
        }
    }

    /// 429 / 403 `rateLimitExceeded`: never processed, retry with backoff.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
    }

    pub(crate) fn unexpected(detail: impl Into<String>) -> Self {
        Self::UnexpectedResponse {
            detail: detail.into(),
            source: None,
        }
    }
}
