//! `/api/organization/credentials…`: add, list, read, update, verify and delete the
//! organization's provider credentials.
//!
//! Every handler starts from the [`Tenant`]; a credential of another organization is looked up
//! with the caller's org id and so answers 404, exactly like one that never existed.

mod input;
mod verify;
pub mod wire;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use self::wire::{
    CreateTwilioCredentialIn, CredentialListOut, CredentialOut, ListQuery, UpdateCredentialIn,
    VerificationOut, VerifyIn,
};
use super::AppState;
use super::auth::Tenant;
use super::error::{ApiError, ErrorBody, FieldError};
use super::json::JsonBody;
use super::query::ApiQuery;
use crate::ids::CredentialId;
use crate::store::CredentialType;

/// The `{id}` path segment. An id that is not even well-formed cannot exist: 404, like a missing one.
pub struct CredentialPath(pub CredentialId);

impl<S: Send + Sync> FromRequestParts<S> for CredentialPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound { what: "credential" })?;
        CredentialId::parse(&raw)
            .map(CredentialPath)
            .map_err(|_| ApiError::NotFound { what: "credential" })
    }
}

/// Add a Twilio credential (Auth Token or API key; From number or Messaging Service).
///
/// The first Twilio credential of the organization becomes its primary one. With
/// `"verify": true` the checks run before the answer, whose `last_verification` holds the report.
#[utoipa::path(post, path = "/api/organization/credentials/twilio", tag = "credentials",
    request_body = CreateTwilioCredentialIn, security(("api_key" = [])),
    responses(
        (status = 201, description = "Stored (never echoes a secret)", body = CredentialOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn create_twilio(
    tenant: Tenant,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateTwilioCredentialIn>,
) -> Result<(StatusCode, Json<CredentialOut>), ApiError> {
    let run_verification = body.verify;
    let new = input::new_twilio_credential(body)?;
    let mut credential = state.store().insert_credential(&tenant.org_id, new).await?;
    if run_verification {
        verify::verify(&state, &tenant.org_id, &credential.id, None).await?;
        credential = state
            .store()
            .get_credential(&tenant.org_id, &credential.id)
            .await?;
    }
    Ok((StatusCode::CREATED, Json(CredentialOut::from(&credential))))
}

/// List the organization's credentials, oldest first.
#[utoipa::path(get, path = "/api/organization/credentials", tag = "credentials",
    params(ListQuery), security(("api_key" = [])),
    responses(
        (status = 200, description = "The credentials", body = CredentialListOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 422, description = "Unknown `type` or query parameter", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn list(
    tenant: Tenant,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<CredentialListOut>, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(|kind| {
            CredentialType::parse(kind).map_err(|err| {
                FieldError::new(
                    "invalid_query",
                    "type",
                    format!("`type` is not valid: {err}."),
                )
                .with_hint("Use `twilio` or `google_calendar`, or leave `type` out.")
            })
        })
        .transpose()?;
    let credentials = state.store().list_credentials(&tenant.org_id, kind).await?;
    Ok(Json(CredentialListOut {
        credentials: credentials.iter().map(CredentialOut::from).collect(),
    }))
}

/// Read one credential.
#[utoipa::path(get, path = "/api/organization/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id (`cred_…`)")), security(("api_key" = [])),
    responses(
        (status = 200, description = "The credential", body = CredentialOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such credential in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn get_one(
    tenant: Tenant,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
) -> Result<Json<CredentialOut>, ApiError> {
    let credential = state.store().get_credential(&tenant.org_id, &id).await?;
    Ok(Json(CredentialOut::from(&credential)))
}

/// Change the label, activity, primary flag, secrets or sender of a credential.
#[utoipa::path(patch, path = "/api/organization/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id (`cred_…`)")),
    request_body(content = Option<UpdateCredentialIn>, description = "Only the fields given change; an empty body changes nothing"),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The updated credential", body = CredentialOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such credential in this organization", body = ErrorBody),
        (status = 409, description = "The change conflicts with the credential's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn update(
    tenant: Tenant,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
    JsonBody(body): JsonBody<UpdateCredentialIn>,
) -> Result<Json<CredentialOut>, ApiError> {
    let current = state.store().get_credential(&tenant.org_id, &id).await?;
    let patch = input::credential_patch(&current, body)?;
    let credential = state
        .store()
        .patch_credential(&tenant.org_id, &id, patch)
        .await?;
    Ok(Json(CredentialOut::from(&credential)))
}

/// Delete a credential; its secrets are destroyed, not flagged.
///
/// For a Google Calendar connection the grant is first revoked at Google (best effort); the
/// `x-google-revocation` header says how that went.
#[utoipa::path(delete, path = "/api/organization/credentials/{id}", tag = "credentials",
    params(("id" = String, Path, description = "Credential id (`cred_…`)")), security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted", headers(
            ("x-google-revocation" = String, description = "Google Calendar credentials only: `revoked`, `already_invalid`, `failed`, `no_token`, `not_configured`, or `kept_shared` (not revoked because another credential of this organization uses the same Google account, whose grant Google shares)"))),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such credential in this organization", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
    ))]
pub async fn delete(
    tenant: Tenant,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
) -> Result<Response, ApiError> {
    let credential = state.store().get_credential(&tenant.org_id, &id).await?;
    let revocation = if credential.kind == CredentialType::GoogleCalendar {
        Some(match state.google.ready() {
            Some(connections) => connections.revoke(&tenant.org_id, &id).await.as_str(),
            None => {
                tracing::warn!(org_id = %tenant.org_id, credential_id = %id, "Google is not configured: the grant was not revoked at Google");
                "not_configured"
            }
        })
    } else {
        None
    };
    state.store().delete_credential(&tenant.org_id, &id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(outcome) = revocation {
        response.headers_mut().insert(
            "x-google-revocation",
            axum::http::HeaderValue::from_static(outcome),
        );
    }
    Ok(response)
}

/// Run the checks (account, sender; with `test_to`, a plain SMS and a hot-lead SMS) through the
/// stored credential, against the server's configured Twilio. Status and report are stored.
///
/// A Google Calendar credential is checked instead for `token` (refreshed when needed),
/// `calendar_list` and `primary_writable`; a grant Google no longer honours gives
/// `needs_reconnect`.
#[utoipa::path(post, path = "/api/organization/credentials/{id}/verify", tag = "credentials",
    params(("id" = String, Path, description = "Credential id (`cred_…`)")),
    request_body(content = Option<VerifyIn>, description = "May be empty"), security(("api_key" = [])),
    responses(
        (status = 200, description = "The checks ran; `status` says whether all passed", body = VerificationOut),
        (status = 401, description = "Missing, malformed or revoked API key", body = ErrorBody),
        (status = 404, description = "No such credential in this organization", body = ErrorBody),
        (status = 409, description = "The credential cannot be verified (undecryptable)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "`test_to` is not an E.164 number (or given for a Google Calendar credential)", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "A Google Calendar credential, and Google is not configured on this server", body = ErrorBody),
    ))]
pub async fn verify_one(
    tenant: Tenant,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
    JsonBody(body): JsonBody<VerifyIn>,
) -> Result<Json<VerificationOut>, ApiError> {
    let to = input::test_to(body.test_to.as_deref())?;
    Ok(Json(verify::verify(&state, &tenant.org_id, &id, to).await?))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/organization/credentials", get(list))
        .route("/api/organization/credentials/twilio", post(create_twilio))
        .route(
            "/api/organization/credentials/{id}",
            get(get_one).patch(update).delete(delete),
        )
        .route(
            "/api/organization/credentials/{id}/verify",
            post(verify_one),
        )
}
