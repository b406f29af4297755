//! The API's [`Caller`] extractor: a Bearer API key in, an organization out (or 401).
//!
//! This is the only way a handler learns which organization it serves, so no path or body field
//! can point a request at another tenant. A malformed key (bad prefix, length or checksum) is
//! refused before any database query; unknown and revoked keys get the same answer.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::api_key::ApiKey;
use crate::tenant::{AccessError, Caller};

const HINT: &str = "Send `Authorization: Bearer <your organization's API key>`; an operator creates keys with `voxanne api-key create --org ORG_ID`.";

fn unauthorized(message: &'static str) -> ApiError {
    ApiError::Unauthorized {
        message,
        hint: HINT,
    }
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive, as RFC 7235 says).
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let mut headers = parts.headers.get_all(AUTHORIZATION).iter();
    let header = headers
        .next()
        .ok_or_else(|| unauthorized("No API key was sent."))?;
    // Two credentials for one request: which one a proxy or a client library would honour is
    // anybody's guess, so neither is.
    if headers.next().is_some() {
        return Err(ApiError::BadRequest {
            code: "multiple_authorization_headers",
            message: "The request carries more than one Authorization header.",
            hint: "Send exactly one `Authorization: Bearer <API key>` header.",
        });
    }
    let value = header
        .to_str()
        .map_err(|_| unauthorized("The Authorization header is not valid text."))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| unauthorized("The Authorization header is not `Bearer <API key>`."))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized(
            "The Authorization header is not `Bearer <API key>`.",
        ));
    }
    Ok(token.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        let key = ApiKey::parse(token)
            .map_err(|_| unauthorized("The API key is malformed (mistyped or truncated)."))?;
        let caller = Caller::authenticate(state.store(), &key)
            .await
            .map_err(|err| match err {
                AccessError::UnknownKey => {
                    unauthorized("The API key is unknown or has been revoked.")
                }
                AccessError::Store(err) => ApiError::from(err),
            })?;
        if let Some(key_id) = caller.api_key() {
            state.limiter().check(key_id)?;
        }
        tracing::Span::current().record("org_id", tracing::field::display(caller.org()));
        // The peer's address, for the audit log (the server records it on each connection).
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(caller.with_source_ip(peer))
    }
}
