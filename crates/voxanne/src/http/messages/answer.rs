//! How the Sending API words the messaging use cases' results: 202 with the accepted messages
//! (replayed word for word for a repeated `Idempotency-Key`), and each refusal as a status code,
//! an error code and a hint.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::wire::{LeadIn, ListQuery};
use crate::http::error::{ApiError, FieldError};
use crate::messaging::{Accepted, LeadInput, MessageQuery, ReadError, SendError};
use crate::outbox::idempotency::IdempotencyKey;
use crate::outbox::{MessageRecord, StoredResponse};
use crate::twilio_account::Unusable;

/// The `Idempotency-Key` header, if sent and well-formed.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = |message: String| {
        ApiError::Invalid(
            FieldError::new("invalid_idempotency_key", "Idempotency-Key", message)
                .with_hint("Send a unique value per logical request, e.g. a UUID, and reuse it only to retry that request."),
        )
    };
    let raw = raw
        .to_str()
        .map_err(|_| invalid("the Idempotency-Key header must be visible ASCII".to_owned()))?;
    IdempotencyKey::parse(raw)
        .map(Some)
        .map_err(|err| invalid(err.to_string()))
}

/// The 202 answer, as it is kept for replays.
pub fn first_answer(body: &impl Serialize) -> Result<StoredResponse, serde_json::Error> {
    Ok(StoredResponse {
        status: StatusCode::ACCEPTED.as_u16(),
        body: serde_json::to_string(body)?,
    })
}

/// 202 with `render(messages)`, or the first answer again for a replay.
pub fn accepted<T: Serialize>(
    sent: Accepted,
    render: impl FnOnce(&[MessageRecord]) -> T,
) -> Result<Response, ApiError> {
    let (stored, replayed) = match sent {
        Accepted::Queued(records) => (
            first_answer(&render(&records)).map_err(|err| ApiError::Unexpected(err.into()))?,
            false,
        ),
        Accepted::Replayed(first) => (first, true),
    };
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::ACCEPTED);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        stored.body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The credential cannot send now: 409, the request itself is fine.
fn unusable_credential(code: &'static str, message: String, hint: &str) -> ApiError {
    ApiError::Refused {
        status: StatusCode::CONFLICT,
        field: FieldError::new(code, "credential_id", message).with_hint(hint.to_owned()),
    }
}

impl From<SendError> for ApiError {
    fn from(err: SendError) -> Self {
        match err {
            SendError::Invalid(field) => ApiError::Invalid(field),
            SendError::MalformedCredentialId(err) => ApiError::Invalid(
                FieldError::new("invalid_credential_id", "credential_id", err.to_string())
                    .with_hint("Use the id of a Twilio credential, e.g. cred_…"),
            ),
            SendError::CredentialNotFound(id) => ApiError::Refused {
                status: StatusCode::NOT_FOUND,
                field: FieldError::new(
                    "credential_not_found",
                    "credential_id",
                    format!("this organization has no credential {id}"),
                )
                .with_hint("List your credentials with GET /api/organization/credentials."),
            },
            SendError::AppointmentNotFound => ApiError::Refused {
                status: StatusCode::NOT_FOUND,
                field: FieldError::new(
                    "appointment_not_found",
                    "appointment_id",
                    "`appointment_id` names no appointment of this organization.",
                )
                .with_hint(
                    "Pass the `id` that POST /api/calendar/appointments answered, or leave it out.",
                ),
            },
            SendError::NoPrimaryCredential => unusable_credential(
                "no_twilio_credential",
                "this organization has no active primary Twilio credential to send through"
                    .to_owned(),
                "Add one with POST /api/organization/credentials/twilio (the first becomes primary), or activate and make one primary with PATCH.",
            ),
            SendError::Unusable(unusable) => unusable.into(),
            SendError::NoRecipients => ApiError::Refused {
                status: StatusCode::CONFLICT,
                field: FieldError::new("no_recipients", "to", "there is nobody to alert: no `to` was given and the organization has no alert_recipients")
                    .with_hint("Set alert_recipients with PUT /api/organization/settings, or pass \"to\": [\"+1…\"]."),
            },
            // 409: the request is fine on its own; it conflicts with the earlier one made under
            // the same key.
            SendError::IdempotencyKeyReused => ApiError::Refused {
                status: StatusCode::CONFLICT,
                field: FieldError::new(
                    "idempotency_key_reused",
                    "Idempotency-Key",
                    "this Idempotency-Key was already used with a different request in the last 24 hours",
                )
                .with_hint("Use a new key for a new request; reuse a key only to retry the identical request."),
            },
            SendError::QuotaExceeded(exceeded) => ApiError::QuotaExceeded(exceeded),
            SendError::Unavailable(err) => {
                tracing::warn!(error = format!("{err:#}"), "the database is not reachable");
                ApiError::Unavailable {
                    message: "The database is not reachable right now.",
                }
            }
            SendError::Unexpected(err) => ApiError::Unexpected(err),
        }
    }
}

impl From<Unusable> for ApiError {
    fn from(unusable: Unusable) -> Self {
        match unusable {
            // Another kind of credential (a Google Calendar connection) is no Twilio credential
            // at all: the same 404 as an id this organization does not have.
            Unusable::NotTwilio(id) => ApiError::Refused {
                status: StatusCode::NOT_FOUND,
                field: FieldError::new(
                    "credential_not_found",
                    "credential_id",
                    format!("this organization has no Twilio credential {id}"),
                )
                .with_hint("List your credentials with GET /api/organization/credentials."),
            },
            Unusable::Inactive(id) => unusable_credential(
                "credential_inactive",
                format!("credential {id} is deactivated"),
                "Reactivate it with PATCH {\"is_active\": true} or name another.",
            ),
            Unusable::Failed(id) => unusable_credential(
                "credential_failed",
                format!("credential {id} failed verification, so Twilio would refuse the message"),
                "Fix its Auth Token / API key or From number, then POST /api/organization/credentials/{id}/verify.",
            ),
            Unusable::Undecryptable(id) => unusable_credential(
                "credential_undecryptable",
                format!("credential {id} cannot be decrypted with the configured master keys"),
                "Configure the missing master key (VOXANNE_MASTER_KEY), or replace the credential's secrets.",
            ),
            Unusable::Store(err) => {
                ApiError::Unexpected(anyhow::Error::new(err).context("opening the credential"))
            }
            other => unusable_credential(
                "credential_unusable",
                other.to_string(),
                "Fix the credential, then verify it again.",
            ),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Invalid(field) => ApiError::Invalid(field),
            ReadError::NotFound => ApiError::NotFound { what: "message" },
            ReadError::Unavailable(err) => {
                tracing::warn!(error = %err, "the database is not reachable");
                ApiError::Unavailable {
                    message: "The database is not reachable right now.",
                }
            }
            ReadError::Unexpected(err) => ApiError::Unexpected(err),
        }
    }
}

impl From<LeadIn> for LeadInput {
    fn from(lead: LeadIn) -> Self {
        Self {
            name: lead.name,
            phone: lead.phone,
            reason: lead.reason,
            preferred_time: lead.preferred_time,
            call_id: lead.call_id,
        }
    }
}

impl From<ListQuery> for MessageQuery {
    fn from(query: ListQuery) -> Self {
        Self {
            status: query.status,
            to: query.to,
            since: query.since,
            limit: query.limit,
            cursor: query.cursor,
        }
    }
}
