//! The HTTP transport handed to the `oauth2` crate: our own reqwest 0.13 client (oauth2 5's
//! built-in one would pull reqwest 0.12 and a second TLS stack).
//!
//! 5xx and 429 answers are turned into transport errors here, before oauth2 sees them: the
//! crate would otherwise parse a JSON error body and drop the status, and we could no longer
//! tell "Google is down, retry" from "the grant is invalid, reconnect".

use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};

/// Why an OAuth request did not yield an answer oauth2 should interpret.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("the OAuth request could not be built")]
    Build(#[source] reqwest::Error),
    #[error("could not reach the Google OAuth endpoint")]
    Network(#[source] reqwest::Error),
    #[error("the Google OAuth endpoint answered HTTP {status}")]
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the Google OAuth endpoint's answer could not be assembled")]
    Response(#[source] oauth2::http::Error),
}

/// Sends one oauth2 request with `client`. Takes the client by value so the future owns
/// everything and satisfies oauth2's `AsyncHttpClient` for any lifetime.
pub async fn send(
    client: reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let request = reqwest::Request::try_from(request).map_err(TransportError::Build)?;
    let response = client
        .execute(request)
        .await
        .map_err(TransportError::Network)?;
    let status = response.status();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(TransportError::Unavailable {
            status: status.as_u16(),
            retry_after: retry_after(response.headers()),
        });
    }
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(TransportError::Network)?;
    let mut builder = oauth2::http::Response::builder().status(status);
    if let Some(map) = builder.headers_mut() {
        map.extend(headers);
    }
    builder
        .body(body.to_vec())
        .map_err(TransportError::Response)
}

/// `Retry-After` in seconds, when the server gave one.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
