//! `POST /twilio/status/{org_id}/{message_id}`: Twilio reporting a message's status. The rules
//! (signature or token, which message, forward-only) are [`crate::messaging::receive_status_report`]'s;
//! this adapter answers 204 when the report was taken, 403 when it is not authentic and 503 when
//! it could not be recorded (Twilio retries).

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::request_id;
use crate::messaging::{self, CallbackError, StatusCallback};

fn forbidden() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "invalid_signature".to_owned(),
            message: CallbackError::NotAuthentic.to_string(),
            field: None,
            hint: None,
            twilio_code: None,
            request_id: request_id::current().unwrap_or_default(),
        },
    };
    (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
}

/// Twilio's status callback for one message (form-encoded, signed with `X-Twilio-Signature`).
#[utoipa::path(
    post, path = "/twilio/status/{org_id}/{message_id}", tag = "twilio",
    params(
        ("org_id" = String, Path), ("message_id" = String, Path),
        ("t" = Option<String>, Query, description = "Per-message token (for credentials without an Auth Token)"),
    ),
    responses(
        (status = 204, description = "Applied, or already known"),
        (status = 403, description = "Not signed by this organization's Twilio account", body = ErrorBody),
        (status = 503, description = "The report could not be recorded now (Twilio retries)", body = ErrorBody),
    )
)]
pub async fn post_status_callback(
    State(state): State<AppState>,
    Path((org_id, message_id)): Path<(String, String)>,
    uri: Uri,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(form) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let signature = parts
        .headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let callback = StatusCallback {
        org: &org_id,
        message: &message_id,
        query: uri.query(),
        signature,
        form: &form,
    };
    match messaging::receive_status_report(&state.services, state.public_url.as_deref(), callback)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(CallbackError::NotAuthentic) => forbidden(),
        Err(CallbackError::Unavailable(err)) => {
            tracing::error!(
                error = format!("{err:#}"),
                "status callback: store unavailable"
            );
            ApiError::Unavailable {
                message: "The status report could not be recorded right now; Twilio will retry.",
            }
            .into_response()
        }
    }
}
