//! `POST /api/messages` and `POST /api/messages/hot-lead`: validate, pick the credential,
//! queue (idempotently), wake the dispatcher, answer 202.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::credential::sending_credential;
use super::wire::{HotLeadIn, HotLeadOut, MessageIn, MessageOut};
use crate::delivery::Delivery;
use crate::hot_lead::{self, Lead};
use crate::http::error::{ApiError, FieldError};
use crate::ids::{MessageId, OrgId};
use crate::outbox::idempotency::{self, IdempotencyKey};
use crate::outbox::{
    Enqueued, IdempotentRequest, MessageKind, MessageRecord, MessageStatus, NewMessage,
    StoredResponse, now_ms,
};
use crate::phone::PhoneNumber;
use crate::sms;
use crate::store::{Credential, Store};

/// Twilio refuses longer bodies (21617).
pub const MAX_BODY_CHARS: usize = 1600;

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

/// Longest lead field accepted; the alert shortens fields anyway, this only refuses junk.
const MAX_LEAD_FIELD: usize = 500;

/// A lead field as given (the alert template cleans it): required ones must not be blank, and
/// none may be longer than [`MAX_LEAD_FIELD`] characters.
fn lead_text(field: &str, value: &str, required: bool) -> Result<String, ApiError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::new(
            "missing_lead_field",
            field,
            format!("{field} is empty: the staff need it to call back"),
        )
        .with_hint("Send what the receptionist learned, e.g. \"name\": \"Maria Lopez\".")
        .into());
    }
    let chars = value.chars().count();
    if chars > MAX_LEAD_FIELD {
        return Err(FieldError::new(
            "lead_field_too_long",
            field,
            format!("{field} has {chars} characters; at most {MAX_LEAD_FIELD} are accepted"),
        )
        .into());
    }
    Ok(value.to_owned())
}

/// Checks a body: not blank, at most 1,600 characters.
pub fn checked_body(body: &str) -> Result<String, ApiError> {
    if body.trim().is_empty() {
        return Err(
            FieldError::new("empty_body", "body", "the message body is empty")
                .with_hint("Send the text to deliver.")
                .into(),
        );
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(FieldError::new(
            "body_too_long",
            "body",
            format!("the body has {chars} characters; Twilio accepts at most 1600"),
        )
        .with_hint("Shorten the text; under 320 characters delivers best.")
        .into());
    }
    Ok(body.to_owned())
}

/// A message ready to queue, and how it reads back in the 202 answer.
fn prepare(
    kind: MessageKind,
    credential: &Credential,
    sender: &str,
    to: &PhoneNumber,
    body: String,
    now: i64,
) -> (NewMessage, MessageOut) {
    let message = NewMessage {
        id: MessageId::generate(),
        credential_id: credential.id.clone(),
        kind,
        to: to.as_str().to_owned(),
        sender: sender.to_owned(),
        segments: sms::count(&body).segments,
        body,
    };
    let record = MessageRecord {
        id: message.id.to_string(),
        org_id: String::new(),
        credential_id: message.credential_id.to_string(),
        kind,
        to: message.to.clone(),
        sender: message.sender.clone(),
        body: message.body.clone(),
        status: MessageStatus::Queued,
        twilio_sid: None,
        segments: message.segments,
        error_code: None,
        reason: None,
        needs_attention: false,
        callback_token: String::new(),
        created_at: now,
        updated_at: now,
    };
    (message, MessageOut::from(&record))
}

/// Queues `messages` and answers `answer` with 202, or replays / refuses per the key.
async fn queue<T: Serialize>(
    delivery: &Delivery,
    org: &OrgId,
    key: Option<IdempotencyKey>,
    fingerprint: String,
    messages: &[NewMessage],
    answer: &T,
    now: i64,
) -> Result<Response, ApiError> {
    let body = serde_json::to_string(answer).map_err(|err| ApiError::Unexpected(err.into()))?;
    let stored = StoredResponse {
        status: StatusCode::ACCEPTED.as_u16(),
        body,
    };
    let request = key.map(|key| IdempotentRequest { key, fingerprint });
    let enqueued = delivery
        .outbox()
        .enqueue(org, messages, request.as_ref().map(|r| (r, &stored)), now)
        .await
        .map_err(|err| {
            ApiError::Unexpected(anyhow::Error::new(err).context("queueing messages"))
        })?;
    match enqueued {
        Enqueued::Created => {
            delivery.dispatcher().wake();
            tracing::info!(org_id = %org, count = messages.len(), "messages queued");
            Ok(json_response(stored.status, stored.body, false))
        }
        Enqueued::Replayed(first) => Ok(json_response(first.status, first.body, true)),
        Enqueued::KeyReused => Err(ApiError::Invalid(
            FieldError::new(
                "idempotency_key_reused",
                "Idempotency-Key",
                "this Idempotency-Key was already used with a different request in the last 24 hours",
            )
            .with_hint("Use a new key for a new request; reuse a key only to retry the identical request."),
        )),
    }
}

fn json_response(status: u16, body: String, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED);
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// The normalised request that the fingerprint covers.
#[derive(Serialize)]
struct SendFingerprint<'a> {
    to: &'a str,
    body: &'a str,
    credential_id: Option<&'a str>,
}

/// `POST /api/messages`.
pub async fn send_message(
    store: &Store,
    delivery: &Delivery,
    org: &OrgId,
    headers: &HeaderMap,
    input: MessageIn,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let to = PhoneNumber::parse("to", &input.to)?;
    let body = checked_body(&input.body)?;
    let named = input.credential_id.as_deref().map(str::trim);
    let fingerprint = idempotency::fingerprint(
        "POST /api/messages",
        &SendFingerprint {
            to: to.as_str(),
            body: &body,
            credential_id: named,
        },
    )
    .map_err(|err| ApiError::Unexpected(err.into()))?;
    let (credential, sender) = sending_credential(store, delivery, org, named).await?;
    let now = now_ms();
    let (message, answer) = prepare(MessageKind::Sms, &credential, &sender, &to, body, now);
    queue(delivery, org, key, fingerprint, &[message], &answer, now).await
}

#[derive(Serialize)]
struct HotLeadFingerprint<'a> {
    name: &'a str,
    phone: &'a str,
    reason: &'a str,
    preferred_time: Option<&'a str>,
    call_id: Option<&'a str>,
    to: Option<Vec<&'a str>>,
}

/// `POST /api/messages/hot-lead`.
pub async fn send_hot_lead(
    store: &Store,
    delivery: &Delivery,
    org: &OrgId,
    headers: &HeaderMap,
    input: HotLeadIn,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let lead = Lead {
        name: lead_text("lead.name", &input.lead.name, true)?,
        phone: PhoneNumber::parse("lead.phone", &input.lead.phone)?,
        reason: lead_text("lead.reason", &input.lead.reason, true)?,
        preferred_time: input
            .lead
            .preferred_time
            .as_deref()
            .map(|t| lead_text("lead.preferred_time", t, false))
            .transpose()?,
        call_id: input
            .lead
            .call_id
            .as_deref()
            .map(|c| lead_text("lead.call_id", c, false))
            .transpose()?,
    };
    let explicit = match &input.to {
        Some(list) if list.is_empty() => {
            return Err(FieldError::new(
                "no_recipients",
                "to",
                "`to` is an empty list: it must name at least one number",
            )
            .with_hint("Pass \"to\": [\"+1…\"], or omit `to` to alert the organization's alert_recipients.")
            .into());
        }
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, raw)| PhoneNumber::parse(&format!("to[{i}]"), raw))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let fingerprint = idempotency::fingerprint(
        "POST /api/messages/hot-lead",
        &HotLeadFingerprint {
            name: &lead.name,
            phone: lead.phone.as_str(),
            reason: &lead.reason,
            preferred_time: lead.preferred_time.as_deref(),
            call_id: lead.call_id.as_deref(),
            to: explicit
                .as_ref()
                .map(|list| list.iter().map(PhoneNumber::as_str).collect()),
        },
    )
    .map_err(|err| ApiError::Unexpected(err.into()))?;
    let recipients = match explicit {
        Some(list) => list,
        None => {
            let settings = store.get_settings(org).await.map_err(|err| {
                ApiError::Unexpected(anyhow::Error::new(err).context("reading the settings"))
            })?;
            settings
                .alert_recipients
                .iter()
                .enumerate()
                .map(|(i, raw)| PhoneNumber::parse(&format!("alert_recipients[{i}]"), raw))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let mut unique = recipients.clone();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Err(FieldError::new("no_recipients", "to", "there is nobody to alert: no `to` was given and the organization has no alert_recipients")
            .with_hint("Set alert_recipients with PUT /api/organization/settings, or pass \"to\": [\"+1…\"].")
            .into());
    }
    let (credential, sender) = sending_credential(store, delivery, org, None).await?;
    let clinic = store
        .get_organization(org)
        .await
        .map_err(|err| {
            ApiError::Unexpected(anyhow::Error::new(err).context("reading the organization"))
        })?
        .name;
    let text = hot_lead::render(&lead, &clinic);
    let now = now_ms();
    // Keep the caller's order, without sending one person the alert twice.
    let mut seen = std::collections::HashSet::new();
    let (messages, answers): (Vec<NewMessage>, Vec<MessageOut>) = recipients
        .iter()
        .filter(|to| seen.insert(to.as_str().to_owned()))
        .map(|to| {
            prepare(
                MessageKind::HotLead,
                &credential,
                &sender,
                to,
                text.clone(),
                now,
            )
        })
        .unzip();
    queue(
        delivery,
        org,
        key,
        fingerprint,
        &messages,
        &HotLeadOut { messages: answers },
        now,
    )
    .await
}
