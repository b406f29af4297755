//! One Calendar API exchange: the request built with the Bearer token, the answer read whole,
//! and Google's error answers sorted into [`Error`] variants a caller can act on.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::transport::retry_after;
use super::{Error, GoogleClient};

/// No single Calendar request waits longer than this, whatever the retry budget left.
pub(super) const MAX_REQUEST_TIME: Duration = Duration::from_secs(15);
/// A request started near the deadline still gets this long.
const MIN_REQUEST_TIME: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<ErrorInfo>,
    #[serde(default)]
    errors: Vec<ErrorInfo>,
}

#[derive(Deserialize)]
struct ErrorInfo {
    #[serde(default)]
    reason: String,
}

impl GoogleClient {
    /// A Calendar API request to `path` (relative to the API base) with the access token, bounded
    /// by `time_left` of the caller's retry budget.
    pub(super) fn api(
        &self,
        method: Method,
        path: &str,
        access_token: &SecretString,
        time_left: Duration,
    ) -> Result<RequestBuilder, Error> {
        let url = self
            .config
            .api_base
            .join(path)
            .map_err(|source| Error::Config {
                field: "api_base",
                source,
            })?;
        let timeout = time_left.clamp(MIN_REQUEST_TIME, MAX_REQUEST_TIME);
        // Reason: the access token goes to the Calendar API as a Bearer credential, its purpose.
        Ok(self
            .http
            .request(method, url)
            .timeout(timeout)
            .bearer_auth(access_token.expose_secret()))
    }
}

/// Calendar and event ids (`clinic@example.com`, `…@group.calendar.google.com`, base32hex
/// event ids) go into one path segment each.
pub(super) fn segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Sends `request` and reads a JSON answer.
pub(super) async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Error> {
    let body = exchange(request).await?;
    serde_json::from_slice(&body).map_err(|source| Error::UnexpectedResponse {
        detail: "unreadable Calendar API response".into(),
        source: Some(Box::new(source)),
    })
}

/// Sends `request` and returns the body of a 2xx answer. The body is read whole before
/// anything else: an answer cut off half-way is a network failure (the outcome is unknown), not
/// an unreadable answer.
pub(super) async fn exchange(request: RequestBuilder) -> Result<bytes::Bytes, Error> {
    let response = request.send().await.map_err(Error::Network)?;
    let status = response.status();
    let wait = retry_after(response.headers());
    let body = response.bytes().await.map_err(Error::Network)?;
    if status.is_success() {
        return Ok(body);
    }
    Err(classify(status, wait, &body))
}

fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let code = status.as_u16();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited {
            status: code,
            retry_after,
        };
    }
    if status.is_server_error() {
        return Error::Unavailable {
            status: code,
            retry_after,
        };
    }
    let body: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let reasons: Vec<&str> = body
        .as_ref()
        .map(|b| {
            let infos = b.error.details.iter().chain(&b.error.errors);
            infos.map(|i| i.reason.as_str()).collect()
        })
        .unwrap_or_default();
    let has = |wanted: &[&str]| reasons.iter().any(|r| wanted.contains(r));
    match status {
        StatusCode::UNAUTHORIZED => Error::Unauthenticated,
        // Google also answers 403 for rate limits; those are refusals before any work.
        StatusCode::FORBIDDEN if has(&["rateLimitExceeded", "userRateLimitExceeded"]) => {
            Error::RateLimited {
                status: code,
                retry_after,
            }
        }
        StatusCode::FORBIDDEN
            if has(&["ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"]) =>
        {
            Error::ScopeInsufficient
        }
        StatusCode::FORBIDDEN if has(&["forbidden", "requiredAccessLevel"]) => Error::Forbidden {
            reason: reasons
                .iter()
                .find(|r| **r == "forbidden" || **r == "requiredAccessLevel")
                .map(|r| (*r).to_owned())
                .unwrap_or_default(),
        },
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::GONE => Error::Deleted,
        StatusCode::CONFLICT if has(&["duplicate"]) => Error::Duplicate,
        _ => Error::Api {
            status: code,
            message: body
                .map(|b| b.error.message)
                .unwrap_or_else(|| status.to_string()),
        },
    }
}
