//! The one error type of the HTTP edge and its one body shape.
//!
//! Every failure a client can see, from a malformed body to a Twilio refusal, answers
//! `{"error":{"code","message","field"?,"hint"?,"twilio_code"?,"request_id"}}`, so the dashboard and
//! the receptionist backend need one parser. `code` is a stable machine-readable string; `message`
//! and `hint` are plain words for a person. Unexpected failures are logged with their whole cause
//! chain and answered with the request id only, never with internals.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id;
pub use crate::field::FieldError;
use crate::store::StoreError;

/// Everything a handler or extractor can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body, path or query is not acceptable: 422 naming the field.
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// The request is well-formed, but what a field names does not exist (404) or the
    /// organization's current state refuses it (409, e.g. no usable credential); `field` names it.
    /// Kept apart from [`ApiError::Invalid`] so that a 422 always means the request itself is wrong.
    #[error("{}: {}", .field.field, .field.message)]
    Refused {
        status: StatusCode,
        field: FieldError,
    },
    /// The body is not JSON at all (or not an object): 422, no single field to blame.
    #[error("malformed JSON body: {message}")]
    MalformedJson { message: String },
    #[error("missing, malformed or revoked API key")]
    Unauthorized {
        message: &'static str,
        hint: &'static str,
    },
    /// The thing does not exist *for this organization*; another tenant's looks exactly the same.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// No route matches the path (the fallback).
    #[error("no such endpoint")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request is malformed as a whole (not one field): 400.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: &'static str,
        hint: &'static str,
    },
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("rate limit exceeded; retry after {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// The organization's sending quota refuses the texts: 429 naming the quota, with `Retry-After`.
    #[error(transparent)]
    QuotaExceeded(crate::quota::QuotaExceeded),
    /// A request that is well-formed but conflicts with the stored state.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        hint: Option<String>,
    },
    /// Twilio refused what we asked on the client's behalf (e.g. a send); `status` is ours to pick.
    #[error("{message}")]
    Twilio {
        status: StatusCode,
        code: &'static str,
        message: String,
        hint: Option<String>,
        twilio_code: Option<u32>,
    },
    /// Google Calendar failed or refused what we asked on the clinic's behalf (e.g. writing an
    /// event); `status` is ours to pick, the words name Google Calendar.
    #[error("{message}")]
    Calendar {
        status: StatusCode,
        code: &'static str,
        message: String,
        hint: Option<String>,
    },
    /// A feature this request needs is not configured on the server (e.g. Google Calendar);
    /// `message` names the settings.
    #[error("not configured: {message}")]
    NotConfigured { message: &'static str },
    /// A dependency we need (the database) is not reachable.
    #[error("service unavailable: {message}")]
    Unavailable { message: &'static str },
    /// A bug or an outage: logged with its chain, answered with the request id only.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::phone::PhoneError> for ApiError {
    fn from(err: crate::phone::PhoneError) -> Self {
        ApiError::Invalid(err.into())
    }
}

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        ApiError::Invalid(err)
    }
}

/// The wire shape of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for a program (`code`, `field`, `twilio_code`) and for a person (`message`, `hint`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_phone_number`, `unauthorized`, `not_found`.
    pub code: String,
    /// What went wrong, in plain words.
    pub message: String,
    /// The request field at fault, when there is one (e.g. `from_number`, `alert_recipients[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Twilio's error code when Twilio's answer caused this error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twilio_code: Option<u32>,
    /// The id of this request (also in the `x-request-id` header and in the server logs).
    pub request_id: String,
}

impl ApiError {
    /// A credential whose secrets no configured master key opens.
    pub fn undecryptable() -> Self {
        ApiError::Conflict {
            code: "credential_undecryptable",
            message: "This credential's secrets cannot be decrypted with the master keys the server is configured with, so it cannot be used or verified.".to_owned(),
            hint: Some("Re-enter its secrets with PATCH (or delete it and add it again), or ask the operator to configure the master key it was stored under.".to_owned()),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) | ApiError::MalformedJson { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Refused { status, .. } => *status,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } | ApiError::QuotaExceeded(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Twilio { status, .. } | ApiError::Calendar { status, .. } => *status,
            ApiError::Unavailable { .. } | ApiError::NotConfigured { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self, request_id: String) -> ErrorDetail {
        let plain = |code: &str, message: String, hint: Option<String>| ErrorDetail {
            code: code.to_owned(),
            message,
            field: None,
            hint,
            twilio_code: None,
            request_id: request_id.clone(),
        };
        match self {
            ApiError::Invalid(field) | ApiError::Refused { field, .. } => ErrorDetail {
                code: field.code.to_owned(),
                message: field.message.clone(),
                field: Some(field.field.clone()),
                hint: field.hint.clone(),
                twilio_code: None,
                request_id,
            },
            ApiError::MalformedJson { message } => plain(
                "malformed_json",
                format!("The request body is not valid JSON: {message}"),
                Some("Send a JSON object with `Content-Type: application/json`.".to_owned()),
            ),
            ApiError::Unauthorized { message, hint } => plain(
                "unauthorized",
                (*message).to_owned(),
                Some((*hint).to_owned()),
            ),
            ApiError::NotFound { what } => plain(
                "not_found",
                format!("No {what} with this id exists in your organization."),
                Some(listing_hint(what).to_owned()),
            ),
            ApiError::NoRoute => plain(
                "no_such_endpoint",
                "No endpoint answers this path.".to_owned(),
                Some("See GET /api/openapi.json or the /docs page for the endpoints.".to_owned()),
            ),
            ApiError::MethodNotAllowed => plain(
                "method_not_allowed",
                "This endpoint does not accept this HTTP method.".to_owned(),
                Some(
                    "See GET /api/openapi.json or the /docs page for the methods it accepts."
                        .to_owned(),
                ),
            ),
            ApiError::BadRequest {
                code,
                message,
                hint,
            } => plain(code, (*message).to_owned(), Some((*hint).to_owned())),
            ApiError::PayloadTooLarge { limit } => plain(
                "payload_too_large",
                format!("The request body is larger than the {limit} bytes this API accepts."),
                Some(
                    "Send a smaller body; no endpoint needs more than a few kilobytes.".to_owned(),
                ),
            ),
            ApiError::RateLimited { retry_after_secs } => plain(
                "rate_limited",
                "Too many requests with this API key.".to_owned(),
                Some(format!(
                    "Wait {retry_after_secs} s (see the Retry-After header) and retry."
                )),
            ),
            ApiError::QuotaExceeded(exceeded) => quota_detail(exceeded, request_id),
            ApiError::Conflict {
                code,
                message,
                hint,
            } => plain(code, message.clone(), hint.clone()),
            ApiError::Twilio {
                code,
                message,
                hint,
                twilio_code,
                ..
            } => ErrorDetail {
                twilio_code: *twilio_code,
                ..plain(code, message.clone(), hint.clone())
            },
            ApiError::Calendar {
                code,
                message,
                hint,
                ..
            } => plain(code, message.clone(), hint.clone()),
            ApiError::NotConfigured { message } => plain(
                "not_configured",
                (*message).to_owned(),
                Some(
                    "Ask the operator of this Voxanne server to set these settings and restart it."
                        .to_owned(),
                ),
            ),
            ApiError::Unavailable { message } => plain(
                "unavailable",
                (*message).to_owned(),
                Some("Retry shortly; if it persists, check the server logs.".to_owned()),
            ),
            ApiError::Unexpected(_) => plain(
                "internal_error",
                "Something went wrong on our side; nothing you sent caused it.".to_owned(),
                Some("Retry; if it persists, report the request_id.".to_owned()),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current().unwrap_or_default();
        let status = self.status();
        if let ApiError::Unexpected(err) = &self {
            // `{:#}` prints the whole cause chain; none of our error types carry secrets.
            tracing::error!(error = format!("{err:#}"), "unexpected error");
        } else if status.is_server_error() {
            tracing::warn!(error = %self, "service unavailable");
        }
        let retry_after = match &self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::QuotaExceeded(exceeded) => Some(exceeded.retry_after_secs),
            _ => None,
        };
        let unauthorized = matches!(self, ApiError::Unauthorized { .. });
        let body = ErrorBody {
            error: self.detail(request_id),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what } => ApiError::NotFound { what },
            StoreError::Invalid { field, message } => FieldError::new(
                "invalid_value",
                field,
                format!("`{field}` is not valid: {message}."),
            )
            .with_hint(format!(
                "Correct `{field}` as described and send the request again."
            ))
            .into(),
            StoreError::Conflict { field, message } => ApiError::Conflict {
                code: "conflict",
                message: format!("{message} ({field})"),
                hint: None,
            },
            StoreError::InvalidApiKey => ApiError::Unauthorized {
                message: "The API key is unknown or has been revoked.",
                hint: "Send `Authorization: Bearer <your organization's API key>`.",
            },
            StoreError::Undecryptable { .. } => ApiError::undecryptable(),
            StoreError::Unavailable { ref source } => {
                tracing::warn!(error = %source, "the database is not reachable");
                ApiError::Unavailable {
                    message: "The database is not reachable right now.",
                }
            }
            other => ApiError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

/// A quota refusal: `field` names the organization setting that refused (`texts_per_minute` or
/// `texts_per_day`), so a program can tell the two apart without reading the message.
fn quota_detail(exceeded: &crate::quota::QuotaExceeded, request_id: String) -> ErrorDetail {
    let setting = exceeded.window_setting();
    let window = match exceeded.window {
        crate::quota::QuotaWindow::Minute => "minute",
        crate::quota::QuotaWindow::Day => "24 hours",
    };
    let hint = if exceeded.never_fits() {
        format!(
            "This request alone has {} texts, more than `{setting}` allows; send fewer at once, or raise `{setting}` with PUT /api/organization/settings.",
            exceeded.requested
        )
    } else {
        format!(
            "Retry in {} s (see the Retry-After header), or raise `{setting}` with PUT /api/organization/settings.",
            exceeded.retry_after_secs
        )
    };
    ErrorDetail {
        code: "sending_quota_exceeded".to_owned(),
        message: format!(
            "This organization's sending quota `{setting}` ({} texts per {window}) is used up: {} queued in the last {window}, this request needs {} more. Nothing was queued.",
            exceeded.limit, exceeded.used, exceeded.requested
        ),
        field: Some(setting.to_owned()),
        hint: Some(hint),
        twilio_code: None,
        request_id,
    }
}

/// Where to list the objects of a 404, so the caller can find the right id.
fn listing_hint(what: &str) -> &'static str {
    match what {
        "message" => "List them with GET /api/messages.",
        "credential" => "List them with GET /api/organization/credentials.",
        _ => "Check the id in the path.",
    }
}
