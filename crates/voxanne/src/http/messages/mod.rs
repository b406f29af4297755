//! The Sending API: queue SMS and hot-lead alerts, read their status and timeline; and the
//! status-callback endpoint Twilio reports to.
//!
//! Every `/api/messages` route takes the organization from the Bearer API key; another
//! organization's message answers 404, exactly like a missing one.

pub mod credential;
pub mod read;
pub mod send;
pub mod wire;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;

use self::wire::{
    EventOut, HotLeadIn, HotLeadOut, LeadIn, ListQuery, MessageDetailOut, MessageIn,
    MessageListOut, MessageOut,
};
use super::error::{ApiError, ErrorBody};
use super::json::JsonBody;
use super::status_callbacks;
use super::{AppState, auth::Tenant};
use crate::outbox::{MessageKind, MessageStatus};

/// The OpenAPI description of these routes (merged into `/api/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(
        post_message,
        post_hot_lead,
        get_message,
        list_messages,
        post_status_callback
    ),
    components(schemas(
        MessageIn,
        HotLeadIn,
        LeadIn,
        MessageOut,
        HotLeadOut,
        MessageDetailOut,
        MessageListOut,
        EventOut,
        MessageStatus,
        MessageKind
    ))
)]
pub struct MessagesApi;

/// `/api/messages…` and `/twilio/status/…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messages", post(post_message).get(list_messages))
        .route("/api/messages/hot-lead", post(post_hot_lead))
        .route("/api/messages/{id}", get(get_message))
        .route(
            "/twilio/status/{org_id}/{message_id}",
            post(post_status_callback),
        )
}

/// Queue an SMS through the organization's own Twilio account.
#[utoipa::path(
    post, path = "/api/messages", tag = "messages", request_body = MessageIn,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Repeat the same request with the same key within 24 h to get the first answer without sending again.")),
    responses(
        (status = 202, description = "Queued", body = MessageOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid field, no usable credential, or a key reused with another body", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn post_message(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    JsonBody(input): JsonBody<MessageIn>,
) -> Result<Response, ApiError> {
    send::send_message(
        &state.store,
        &state.delivery,
        &tenant.org_id,
        &headers,
        input,
    )
    .await
}

/// Alert the clinic's staff about a hot lead (one text per recipient, one GSM-7 segment each).
#[utoipa::path(
    post, path = "/api/messages/hot-lead", tag = "messages", request_body = HotLeadIn,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Repeat the same request with the same key within 24 h to get the first answer without sending again.")),
    responses(
        (status = 202, description = "Queued, one message per recipient", body = HotLeadOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid field, no recipients, no usable credential, or a key reused with another body", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn post_hot_lead(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    JsonBody(input): JsonBody<HotLeadIn>,
) -> Result<Response, ApiError> {
    send::send_hot_lead(
        &state.store,
        &state.delivery,
        &tenant.org_id,
        &headers,
        input,
    )
    .await
}

/// A message, where it stands, and its timeline.
#[utoipa::path(
    get, path = "/api/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "msg_…")),
    responses(
        (status = 200, description = "The message and its delivery timeline", body = MessageDetailOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "No such message in this organization", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn get_message(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<MessageDetailOut>, ApiError> {
    read::get_message(&state.delivery, &tenant.org_id, &id)
        .await
        .map(axum::Json)
}

/// The organization's messages, newest first.
#[utoipa::path(
    get, path = "/api/messages", tag = "messages", params(ListQuery),
    responses(
        (status = 200, description = "A page of messages, newest first; `next_cursor` fetches the next", body = MessageListOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid filter", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list_messages(
    State(state): State<AppState>,
    tenant: Tenant,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<MessageListOut>, ApiError> {
    let Query(query) = query.map_err(|err| {
        ApiError::Invalid(
            super::error::FieldError::new("invalid_query", "query", err.body_text())
                .with_hint("Filters: status, to, since (RFC 3339), limit (1-100), cursor."),
        )
    })?;
    read::list_messages(&state.delivery, &tenant.org_id, query)
        .await
        .map(axum::Json)
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
    )
)]
async fn post_status_callback(
    State(state): State<AppState>,
    Path((org_id, message_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let public_url = state.public_url.as_deref();
    status_callbacks::receive(
        &state.delivery,
        public_url,
        &org_id,
        &message_id,
        uri.query(),
        &headers,
        &body,
    )
    .await
}
