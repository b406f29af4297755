//! Google's two error shapes: the OAuth endpoints answer `{"error","error_description"}`, the
//! Calendar API answers `{"error":{"code","message","errors":[…],"status"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::state::FaultKind;

/// An error of the token or revoke endpoint (RFC 6749 section 5.2, as Google words them).
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            description: description.into(),
        }
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }

    /// The answer an armed fault gives instead of the OAuth endpoint's own.
    pub fn fault(kind: FaultKind) -> Response {
        let error = match kind {
            FaultKind::Reset => return lost_answer(),
            FaultKind::Unavailable => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: "temporarily_unavailable",
                description: "The service is currently unavailable.".into(),
            },
            FaultKind::TooManyRequests | FaultKind::RateLimitExceeded => Self {
                status: StatusCode::TOO_MANY_REQUESTS,
                error: "rate_limit_exceeded",
                description: "Rate limit exceeded.".into(),
            },
            FaultKind::InternalError | FaultKind::Slow => Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                error: "internal_failure",
                description: "Backend Error".into(),
            },
        };
        error.into_response()
    }
}

/// No answer at all. The sandbox's own server drops the connection before writing anything
/// (see `server.rs`); under a plain `axum::serve` (tests that mount only this router) the body
/// fails mid-response instead, which leaves the client without a usable answer all the same.
pub fn lost_answer() -> Response {
    let mut response = crate::server::drop_connection();
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    let failing = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: the answer was lost",
        ))
    });
    *response.body_mut() = axum::body::Body::from_stream(failing);
    response
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(body),
        )
            .into_response()
    }
}

/// An error of the Calendar API in Google's JSON error format (or, for the `reset` fault, no
/// answer at all).
pub struct ApiError {
    status: StatusCode,
    body: serde_json::Value,
    lost: bool,
}

const AUTH_HELP: &str = "Expected OAuth 2 access token, login cookie or other valid authentication \
     credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

impl ApiError {
    pub fn missing_credentials() -> Self {
        let message = format!("Request is missing required authentication credential. {AUTH_HELP}");
        Self::unauthenticated(message, "Login Required.", "required")
    }

    pub fn invalid_credentials() -> Self {
        let message = format!("Request had invalid authentication credentials. {AUTH_HELP}");
        Self::unauthenticated(message, "Invalid Credentials", "authError")
    }

    fn unauthenticated(message: String, short: &str, reason: &str) -> Self {
        let body = json!({"error": {
            "code": 401,
            "message": message,
            "errors": [{"message": short, "domain": "global", "reason": reason,
                        "location": "Authorization", "locationType": "header"}],
            "status": "UNAUTHENTICATED",
        }});
        Self {
            status: StatusCode::UNAUTHORIZED,
            body,
            lost: false,
        }
    }

    /// The token is valid but was not granted a scope this method needs.
    pub fn insufficient_scope(method: &str) -> Self {
        let body = json!({"error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "errors": [{"message": "Insufficient Permission", "domain": "global",
                        "reason": "insufficientPermissions"}],
            "status": "PERMISSION_DENIED",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com", "method": method},
            }],
        }});
        Self {
            status: StatusCode::FORBIDDEN,
            body,
            lost: false,
        }
    }

    pub fn not_found() -> Self {
        Self::simple(StatusCode::NOT_FOUND, "Not Found", "notFound", None)
    }

    pub fn method_not_allowed() -> Self {
        Self::simple(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            "httpMethodNotAllowed",
            None,
        )
    }

    /// A second delete of an event, or a change to an event already deleted.
    pub fn deleted() -> Self {
        Self::simple(
            StatusCode::GONE,
            "Resource has been deleted",
            "deleted",
            None,
        )
    }

    /// An insert with an `id` another event of the calendar already has.
    pub fn duplicate() -> Self {
        Self::simple(
            StatusCode::CONFLICT,
            "The requested identifier already exists.",
            "duplicate",
            None,
        )
    }

    /// A write to a calendar the user may only read (or only see free/busy of).
    pub fn forbidden_writer() -> Self {
        Self::simple(StatusCode::FORBIDDEN, "Forbidden", "forbidden", None)
    }

    /// A 400 of the `calendar` domain naming the offending parameter, e.g. `timeRangeEmpty`.
    pub fn calendar_parameter(message: &str, reason: &str, location: &str) -> Self {
        let body = json!({"error": {
            "errors": [{"domain": "calendar", "reason": reason, "message": message,
                        "locationType": "parameter", "location": location}],
            "code": 400,
            "message": message,
        }});
        Self {
            status: StatusCode::BAD_REQUEST,
            body,
            lost: false,
        }
    }

    pub fn bad_request(message: impl Into<String>, reason: &str) -> Self {
        Self::simple(
            StatusCode::BAD_REQUEST,
            &message.into(),
            reason,
            Some("INVALID_ARGUMENT"),
        )
    }

    pub fn fault(kind: FaultKind) -> Self {
        match kind {
            FaultKind::Reset => Self {
                status: StatusCode::BAD_GATEWAY,
                body: serde_json::Value::Null,
                lost: true,
            },
            FaultKind::TooManyRequests => Self::rate_limited(StatusCode::TOO_MANY_REQUESTS),
            FaultKind::RateLimitExceeded => Self::rate_limited(StatusCode::FORBIDDEN),
            FaultKind::Unavailable => Self::simple(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is currently unavailable.",
                "backendError",
                Some("UNAVAILABLE"),
            ),
            FaultKind::InternalError | FaultKind::Slow => Self::simple(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Backend Error",
                "backendError",
                Some("INTERNAL"),
            ),
        }
    }

    /// Google's rate-limit answer, as its error guide shows it for both 403 and 429.
    fn rate_limited(status: StatusCode) -> Self {
        let body = json!({"error": {
            "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded",
                        "message": "Rate Limit Exceeded"}],
            "code": status.as_u16(),
            "message": "Rate Limit Exceeded",
        }});
        Self {
            status,
            body,
            lost: false,
        }
    }

    fn simple(status: StatusCode, message: &str, reason: &str, grpc_status: Option<&str>) -> Self {
        let mut error = json!({
            "code": status.as_u16(),
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        });
        if let (Some(grpc), Some(object)) = (grpc_status, error.as_object_mut()) {
            object.insert("status".into(), grpc.into());
        }
        Self {
            status,
            body: json!({ "error": error }),
            lost: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.lost {
            return lost_answer();
        }
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ),
            );
        }
        response
    }
}
