//! The Sending API: queue SMS and hot-lead alerts, read their status and timeline; and the
//! status-callback endpoint Twilio reports to.
//!
//! Every `/api/messages` route takes the organization from the Bearer API key; another
//! organization's message answers 404, exactly like a missing one.

pub(crate) mod answer;
pub mod wire;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use utoipa::OpenApi;

use self::answer::{accepted, idempotency_key};
use self::wire::{
    EventOut, HotLeadIn, HotLeadOut, LeadIn, ListQuery, MessageDetailOut, MessageIn,
    MessageListOut, MessageOut,
};
use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::json::JsonBody;
use super::status_callbacks::{self, post_status_callback};
use crate::messaging::{self, HotLeadRequest, Idempotency, SmsRequest};
use crate::outbox::{MessageKind, MessageRecord, MessageStatus};
use crate::tenant::Caller;

/// The OpenAPI description of these routes (merged into `/api/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(
        post_message,
        post_hot_lead,
        get_message,
        list_messages,
        status_callbacks::post_status_callback
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
        (status = 404, description = "`credential_not_found`: `credential_id` names no Twilio credential of this organization (a Google Calendar connection's id included)", body = ErrorBody),
        (status = 409, description = "The organization cannot send this now: no active primary Twilio credential, or the credential named is inactive, failed verification or cannot be decrypted (`field` is `credential_id`); or the Idempotency-Key was used with another body", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "The API key's rate limit, or the organization's sending quota (`sending_quota_exceeded`, `field` names `texts_per_minute` or `texts_per_day`; a hot lead counts one text per recipient) is used up; nothing was queued",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds until a retry can succeed"))),
        (status = 503, description = "The database is not reachable; nothing was queued", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(input): JsonBody<MessageIn>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let request = SmsRequest {
        to: input.to,
        body: input.body,
        credential_id: input.credential_id,
    };
    let answer = |records: &[MessageRecord]| answer::first_answer(&sms_out(records));
    let idempotency = key.map(|key| Idempotency {
        key,
        answer: &answer,
    });
    let sent = messaging::send_sms(&state.services, &caller, request, idempotency).await?;
    accepted(sent, sms_out)
}

/// The answer to one SMS (serialized as the message itself).
fn sms_out(records: &[MessageRecord]) -> Option<MessageOut> {
    records.first().map(MessageOut::from)
}

/// Alert the clinic's staff about a hot lead (one text per recipient, one GSM-7 segment each).
#[utoipa::path(
    post, path = "/api/messages/hot-lead", tag = "messages", request_body = HotLeadIn,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Repeat the same request with the same key within 24 h to get the first answer without sending again.")),
    responses(
        (status = 202, description = "Queued, one message per recipient", body = HotLeadOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "`appointment_not_found`: `appointment_id` names no appointment of this organization", body = ErrorBody),
        (status = 409, description = "The organization cannot send this now: no active primary Twilio credential, or no `to` and no `alert_recipients` (`no_recipients`); or the Idempotency-Key was used with another body", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "The API key's rate limit, or the organization's sending quota (`sending_quota_exceeded`, `field` names `texts_per_minute` or `texts_per_day`; a hot lead counts one text per recipient) is used up; nothing was queued",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds until a retry can succeed"))),
        (status = 503, description = "The database is not reachable; nothing was queued", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn post_hot_lead(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(input): JsonBody<HotLeadIn>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let request = HotLeadRequest {
        lead: input.lead.into(),
        to: input.to,
        appointment_id: input.appointment_id,
    };
    let answer = |records: &[MessageRecord]| answer::first_answer(&hot_lead_out(records));
    let idempotency = key.map(|key| Idempotency {
        key,
        answer: &answer,
    });
    let sent = messaging::send_hot_lead(&state.services, &caller, request, idempotency).await?;
    accepted(sent, hot_lead_out)
}

fn hot_lead_out(records: &[MessageRecord]) -> HotLeadOut {
    HotLeadOut {
        messages: records.iter().map(MessageOut::from).collect(),
    }
}

/// A message, where it stands, and its timeline.
#[utoipa::path(
    get, path = "/api/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "msg_…")),
    responses(
        (status = 200, description = "The message and its delivery timeline", body = MessageDetailOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 404, description = "No such message in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn get_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<MessageDetailOut>, ApiError> {
    let (message, events) = messaging::get(&state.services, &caller, &id).await?;
    Ok(axum::Json(MessageDetailOut {
        message: MessageOut::from(&message),
        timeline: events.iter().map(EventOut::from).collect(),
    }))
}

/// The organization's messages, newest first.
#[utoipa::path(
    get, path = "/api/messages", tag = "messages", params(ListQuery),
    responses(
        (status = 200, description = "A page of messages, newest first; `next_cursor` fetches the next", body = MessageListOut),
        (status = 401, description = "Missing or revoked API key", body = ErrorBody),
        (status = 422, description = "Invalid filter", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<MessageListOut>, ApiError> {
    let Query(query) = query.map_err(|err| {
        ApiError::Invalid(
            super::error::FieldError::new("invalid_query", "query", err.body_text())
                .with_hint("Filters: status, to, since (RFC 3339), limit (1-100), cursor."),
        )
    })?;
    let page = messaging::list(&state.services, &caller, query.into()).await?;
    Ok(axum::Json(MessageListOut {
        messages: page.messages.iter().map(MessageOut::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
