//! `/api/organization/credentials…`: add, list, read, update, verify and delete the
//! organization's provider credentials.
//!
//! Every handler starts from the [`Caller`]; a credential of another organization is looked up
//! with the caller's org id and so answers 404, exactly like one that never existed.

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
use super::error::{ApiError, ErrorBody, FieldError};
use super::json::JsonBody;
use super::query::ApiQuery;
use crate::check::Surface;
use crate::credentials::{self, CredentialError, VerifyRequest};
use crate::google_connection::NOT_CONFIGURED;
use crate::ids::CredentialId;
use crate::phone::PhoneNumber;
use crate::store::CredentialType;
use crate::tenant::Caller;

impl From<CredentialError> for ApiError {
    fn from(err: CredentialError) -> Self {
        match err {
            CredentialError::Invalid(field) => ApiError::Invalid(field),
            CredentialError::NotFound => ApiError::NotFound { what: "credential" },
            CredentialError::Conflict(field) => ApiError::Refused {
                status: axum::http::StatusCode::CONFLICT,
                field,
            },
            CredentialError::InactivePrimary => ApiError::Conflict {
                code: "inactive_primary",
                message: "An inactive credential cannot become the primary one.".to_owned(),
                hint: Some(
                    "Send `\"is_active\": true` in the same request, or activate it first."
                        .to_owned(),
                ),
            },
            CredentialError::Undecryptable => ApiError::undecryptable(),
            CredentialError::GoogleNotConfigured => ApiError::NotConfigured {
                message: NOT_CONFIGURED,
            },
            CredentialError::Store(err) => ApiError::from(err),
            CredentialError::Unexpected(err) => ApiError::Unexpected(err),
        }
    }
}

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
    caller: Caller,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateTwilioCredentialIn>,
) -> Result<(StatusCode, Json<CredentialOut>), ApiError> {
    let verify_now = body.verify;
    let credential =
        credentials::add_twilio(&state.services, &caller, body.into(), verify_now).await?;
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
    caller: Caller,
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
    let credentials = credentials::list(&state.services, &caller, kind).await?;
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
    caller: Caller,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
) -> Result<Json<CredentialOut>, ApiError> {
    let credential = credentials::get(&state.services, &caller, &id).await?;
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
    caller: Caller,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
    JsonBody(body): JsonBody<UpdateCredentialIn>,
) -> Result<Json<CredentialOut>, ApiError> {
    let credential = credentials::update(&state.services, &caller, &id, body.into()).await?;
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
    caller: Caller,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
) -> Result<Response, ApiError> {
    let revocation = credentials::delete(&state.services, &caller, &id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(outcome) = revocation {
        response.headers_mut().insert(
            "x-google-revocation",
            axum::http::HeaderValue::from_static(outcome.as_str()),
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
        (status = 409, description = "The credential cannot be verified (undecryptable), or `test_to` was given for a Google Calendar credential", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "`test_to` is not an E.164 number", body = ErrorBody),
        (status = 429, description = "Rate limit of this API key exceeded", body = ErrorBody),
        (status = 503, description = "A Google Calendar credential, and Google is not configured on this server", body = ErrorBody),
    ))]
pub async fn verify_one(
    caller: Caller,
    State(state): State<AppState>,
    CredentialPath(id): CredentialPath,
    JsonBody(body): JsonBody<VerifyIn>,
) -> Result<Json<VerificationOut>, ApiError> {
    let test_to = body
        .test_to
        .as_deref()
        .map(|number| PhoneNumber::parse("test_to", number))
        .transpose()?;
    let request = VerifyRequest {
        test_to,
        surface: Surface::Api,
    };
    let verification = credentials::verify(&state.services, &caller, &id, request).await?;
    Ok(Json(VerificationOut::from(&verification)))
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
