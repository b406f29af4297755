//! `/api/organization/webhooks…`: register, list, read, change, delete endpoints; rotate the
//! signing secret; send a test event; list attempts and replay one.
//!
//! Every handler starts from the [`Caller`]; another organization's endpoint or attempt answers
//! 404, exactly like one that never existed.

pub mod wire;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};

use self::wire::{
    AttemptListOut, AttemptOut, AttemptsQuery, CreateEndpointIn, EndpointCreatedOut,
    EndpointListOut, EndpointOut, QueuedOut, UpdateEndpointIn,
};
use super::AppState;
use super::error::{ApiError, ErrorBody, FieldError};
use super::json::JsonBody;
use super::query::ApiQuery;
use crate::ids::{WebhookAttemptId, WebhookEndpointId};
use crate::tenant::Caller;
use crate::webhooks::{self, EVENT_TYPES, EndpointChange, WebhookError};

impl From<WebhookError> for ApiError {
    fn from(err: WebhookError) -> Self {
        match err {
            WebhookError::Invalid { field, message } => FieldError::new(
                "invalid_value",
                field,
                format!("`{field}` is not valid: {message}."),
            )
            .with_hint(match field {
                "events" => format!("Use some of: {}.", EVENT_TYPES.join(", ")),
                "url" => "Use an https:// URL on a public address.".to_owned(),
                _ => format!("Correct `{field}` and send the request again."),
            })
            .into(),
            WebhookError::NotFound { what } => ApiError::NotFound { what },
            WebhookError::Disabled => ApiError::Conflict {
                code: "webhook_disabled",
                message: "This webhook endpoint is disabled, so nothing is sent to it.".to_owned(),
                hint: Some("Enable it with PATCH {\"enabled\": true}, then try again.".to_owned()),
            },
            WebhookError::Store(err) => ApiError::from(err),
            WebhookError::Activity(err) => ApiError::Unexpected(anyhow::Error::new(err)),
        }
    }
}

/// The `{id}` segment: a malformed id cannot exist, so 404 like a missing one.
pub struct EndpointPath(pub WebhookEndpointId);

impl<S: Send + Sync> FromRequestParts<S> for EndpointPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = ApiError::NotFound {
            what: "webhook endpoint",
        };
        let Path(segments) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound {
                what: "webhook endpoint",
            })?;
        let raw = segments.first().ok_or(not_found)?;
        WebhookEndpointId::parse(raw)
            .map(EndpointPath)
            .map_err(|_| ApiError::NotFound {
                what: "webhook endpoint",
            })
    }
}

/// Register an endpoint. The answer holds the signing secret (`whsec_…`), shown this once.
///
/// No network call is made: the URL is first called with the first event.
///
/// One rule the schema cannot state: the URL's host must be a public address. A host written as
/// a private, loopback, link-local or otherwise internal IP address (or `localhost`) is refused
/// with 422 naming `url`; a name is resolved, and each address checked, at every delivery.
#[utoipa::path(post, path = "/api/organization/webhooks", tag = "webhooks", operation_id = "create_webhook",
    request_body = CreateEndpointIn, security(("api_key" = [])),
    responses(
        (status = 201, description = "Registered; `secret` is shown this once", body = EndpointCreatedOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid (e.g. an internal address); `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateEndpointIn>,
) -> Result<(StatusCode, Json<EndpointCreatedOut>), ApiError> {
    let created = webhooks::create(
        &state.services,
        &caller,
        &body.url,
        &body.events,
        body.description.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(EndpointCreatedOut::from(&created)),
    ))
}

/// List the organization's endpoints, oldest first.
#[utoipa::path(get, path = "/api/organization/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoints", body = EndpointListOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<EndpointListOut>, ApiError> {
    let endpoints = webhooks::list(&state.services, &caller).await?;
    Ok(Json(EndpointListOut {
        webhooks: endpoints.iter().map(EndpointOut::from).collect(),
    }))
}

/// Read one endpoint.
#[utoipa::path(get, path = "/api/organization/webhooks/{id}", tag = "webhooks", operation_id = "get_webhook",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)")), security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoint", body = EndpointOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn get_one(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
) -> Result<Json<EndpointOut>, ApiError> {
    let endpoint = webhooks::get(&state.services, &caller, &id).await?;
    Ok(Json(EndpointOut::from(&endpoint)))
}

/// Change the URL, events, description, or enable / disable the endpoint.
///
/// One rule the schema cannot state: a new URL's host must be a public address, as when the
/// endpoint is registered (an internal IP address or `localhost` is refused with 422 naming `url`).
#[utoipa::path(patch, path = "/api/organization/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)")),
    request_body(content = Option<UpdateEndpointIn>, description = "Only the fields given change"),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The updated endpoint", body = EndpointOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn update(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
    JsonBody(body): JsonBody<UpdateEndpointIn>,
) -> Result<Json<EndpointOut>, ApiError> {
    let change = EndpointChange {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let endpoint = webhooks::update(&state.services, &caller, &id, change).await?;
    Ok(Json(EndpointOut::from(&endpoint)))
}

/// Delete an endpoint with its pending deliveries and attempts.
#[utoipa::path(delete, path = "/api/organization/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)")), security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(&state.services, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown this once; the previous one keeps signing alongside it (both
/// signatures in `webhook-signature`) for 24 hours.
#[utoipa::path(post, path = "/api/organization/webhooks/{id}/rotate-secret", tag = "webhooks", operation_id = "rotate_webhook_secret",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)")), security(("api_key" = [])),
    responses(
        (status = 200, description = "Rotated; `secret` is the new one, shown this once", body = EndpointCreatedOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn rotate_secret(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
) -> Result<Json<EndpointCreatedOut>, ApiError> {
    let rotated = webhooks::rotate_secret(&state.services, &caller, &id).await?;
    Ok(Json(EndpointCreatedOut::from(&rotated)))
}

/// Send a `webhook.test` event to this endpoint (whatever events it subscribes to).
#[utoipa::path(post, path = "/api/organization/webhooks/{id}/test", tag = "webhooks", operation_id = "test_webhook",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)")), security(("api_key" = [])),
    responses(
        (status = 202, description = "Queued; see `…/attempts` for how it went", body = QueuedOut),
        (status = 409, description = "The endpoint is disabled (`webhook_disabled`)", body = ErrorBody),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn test(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
) -> Result<(StatusCode, Json<QueuedOut>), ApiError> {
    let event = webhooks::send_test(&state.services, &caller, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedOut {
            event_id: event.to_string(),
        }),
    ))
}

/// The endpoint's delivery attempts, newest first.
#[utoipa::path(get, path = "/api/organization/webhooks/{id}/attempts", tag = "webhooks", operation_id = "list_webhook_attempts",
    params(("id" = String, Path, description = "Endpoint id (`whk_…`)"), AttemptsQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The attempts", body = AttemptListOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
        (status = 422, description = "Unknown or invalid query parameter", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn attempts(
    caller: Caller,
    State(state): State<AppState>,
    EndpointPath(id): EndpointPath,
    ApiQuery(query): ApiQuery<AttemptsQuery>,
) -> Result<Json<AttemptListOut>, ApiError> {
    let limit = crate::field::page_limit(query.limit)?;
    let attempts = webhooks::attempts(&state.services, &caller, &id, limit).await?;
    Ok(Json(AttemptListOut {
        attempts: attempts.iter().map(AttemptOut::from).collect(),
    }))
}

/// Send the event of an attempt again, under the same event id.
#[utoipa::path(post, path = "/api/organization/webhooks/{id}/attempts/{attempt_id}/replay", tag = "webhooks", operation_id = "replay_webhook_attempt",
    params(
        ("id" = String, Path, description = "Endpoint id (`whk_…`)"),
        ("attempt_id" = String, Path, description = "Attempt id (`wha_…`)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Queued again", body = QueuedOut),
        (status = 409, description = "The endpoint is disabled (`webhook_disabled`)", body = ErrorBody),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such endpoint or attempt in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn replay(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, attempt)): Path<(String, String)>,
) -> Result<(StatusCode, Json<QueuedOut>), ApiError> {
    let id = WebhookEndpointId::parse(&id).map_err(|_| ApiError::NotFound {
        what: "webhook endpoint",
    })?;
    let attempt = WebhookAttemptId::parse(&attempt).map_err(|_| ApiError::NotFound {
        what: "webhook attempt",
    })?;
    let event = webhooks::replay(&state.services, &caller, &id, &attempt).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedOut {
            event_id: event.to_string(),
        }),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/organization/webhooks", get(list).post(create))
        .route(
            "/api/organization/webhooks/{id}",
            get(get_one).patch(update).delete(delete),
        )
        .route(
            "/api/organization/webhooks/{id}/rotate-secret",
            post(rotate_secret),
        )
        .route("/api/organization/webhooks/{id}/test", post(test))
        .route("/api/organization/webhooks/{id}/attempts", get(attempts))
        .route(
            "/api/organization/webhooks/{id}/attempts/{attempt_id}/replay",
            post(replay),
        )
}
