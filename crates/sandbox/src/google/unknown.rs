//! Paths and methods the stand-in does not serve, answered in Google's JSON shapes: the API
//! shape under `/calendar/v3` and `/oauth2`, the OAuth shape on the token endpoints. Without
//! these the sandbox's Twilio fallback would answer a Google client in Twilio's words.

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::errors::{ApiError, OAuthError};

pub async fn api_path() -> Response {
    ApiError::not_found().into_response()
}

pub async fn api_method() -> Response {
    ApiError::method_not_allowed().into_response()
}

pub async fn oauth_path(uri: Uri) -> Response {
    OAuthError {
        status: StatusCode::NOT_FOUND,
        error: "invalid_request",
        description: format!("Unknown endpoint: {}", uri.path()),
    }
    .into_response()
}

pub async fn oauth_method(method: Method) -> Response {
    OAuthError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        error: "invalid_request",
        description: format!("Invalid request method: {method}"),
    }
    .into_response()
}
