//! Sending an SMS or a hot-lead alert: validate, pick the credential, queue idempotently in the
//! outbox, wake the dispatcher. A message is committed before the caller hears "accepted".

use std::collections::HashSet;

use serde::Serialize;

use crate::field::{FieldError, plain_text};
use crate::hot_lead::{self, Lead};
use crate::ids::{CredentialId, MessageId};
use crate::outbox::idempotency::{self, IdempotencyKey};
use crate::outbox::{
    Enqueued, IdempotentRequest, MessageKind, MessageRecord, MessageStatus, NewMessage,
    StoredResponse, now_ms,
};
use crate::phone::{PhoneError, PhoneNumber};
use crate::quota::{self, QuotaExceeded};
use crate::services::Services;
use crate::sms;
use crate::store::{Credential, CredentialType, MAX_ALERT_RECIPIENTS, StoreError};
use crate::tenant::Caller;
use crate::twilio_account::{Unusable, sender_label};

/// Twilio refuses longer bodies (21617).
pub const MAX_BODY_CHARS: usize = 1600;

/// Longest lead field accepted; the alert shortens fields anyway, this only refuses junk.
const MAX_LEAD_FIELD: usize = 500;

/// The scopes idempotency fingerprints are computed in. Their values predate the use-case layer
/// and stay as they are: a key used before an upgrade must still replay after it.
const SMS_SCOPE: &str = "POST /api/messages";
const HOT_LEAD_SCOPE: &str = "POST /api/messages/hot-lead";

/// A plain SMS, as given.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub to: String,
    pub body: String,
    /// Send through this credential instead of the organization's primary Twilio one.
    pub credential_id: Option<String>,
}

/// What the receptionist learned about a caller, as given.
#[derive(Debug, Clone)]
pub struct LeadInput {
    pub name: String,
    pub phone: String,
    pub reason: String,
    pub preferred_time: Option<String>,
    pub call_id: Option<String>,
}

/// A hot-lead alert: to `to`, or to the organization's alert recipients when `None`.
#[derive(Debug, Clone)]
pub struct HotLeadRequest {
    pub lead: LeadInput,
    pub to: Option<Vec<String>>,
    /// The lead's appointment (`appt_…`): the alert then says when they are booked.
    pub appointment_id: Option<String>,
}

/// How a repeated request is recognised and what it is answered: the front door's own answer to
/// the first request, kept with the messages in one transaction and replayed word for word.
pub struct Idempotency<'a> {
    pub key: IdempotencyKey,
    pub answer: &'a (dyn Fn(&[MessageRecord]) -> Result<StoredResponse, serde_json::Error> + Sync),
}

/// What a send did.
#[derive(Debug)]
pub enum Accepted {
    /// Queued now: one record per text, as accepted.
    Queued(Vec<MessageRecord>),
    /// The same request was made before with this idempotency key: its first answer.
    Replayed(StoredResponse),
}

/// Why nothing was queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// The named credential id is not even well-formed.
    #[error("the credential id is malformed: {0}")]
    MalformedCredentialId(#[source] crate::ids::IdError),
    #[error("this organization has no credential {0}")]
    CredentialNotFound(CredentialId),
    #[error("this organization has no active primary Twilio credential to send through")]
    NoPrimaryCredential,
    /// `appointment_id` names no appointment of this organization (another's looks the same).
    #[error("no such appointment in this organization")]
    AppointmentNotFound,
    /// The credential exists but cannot send now (inactive, failed, undecryptable, incomplete).
    #[error(transparent)]
    Unusable(Unusable),
    /// No recipients were named and the organization has no alert recipients.
    #[error("there is nobody to alert: no recipients were given and the organization has none")]
    NoRecipients,
    #[error("the idempotency key was already used with a different request in the last 24 hours")]
    IdempotencyKeyReused,
    /// The organization's sending quota has no room for these texts now: nothing was queued.
    #[error(transparent)]
    QuotaExceeded(QuotaExceeded),
    /// The database cannot be reached right now: nothing was queued.
    #[error("nothing could be queued right now")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<FieldError> for SendError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(err)
    }
}

impl From<PhoneError> for SendError {
    fn from(err: PhoneError) -> Self {
        Self::Invalid(err.into())
    }
}

fn unexpected(
    err: impl std::error::Error + Send + Sync + 'static,
    doing: &'static str,
) -> SendError {
    SendError::Unexpected(anyhow::Error::new(err).context(doing))
}

/// A store or outbox failure: an outage when the database is out of reach (retry later),
/// otherwise a bug.
fn storage(err: impl Into<Storage>, doing: &'static str) -> SendError {
    match err.into() {
        Storage::Store(StoreError::Unavailable { source }) => {
            SendError::Unavailable(anyhow::Error::new(source).context(doing))
        }
        Storage::Outbox(err) if err.is_outage() => {
            SendError::Unavailable(anyhow::Error::new(err).context(doing))
        }
        Storage::Store(err) => unexpected(err, doing),
        Storage::Outbox(err) => unexpected(err, doing),
    }
}

/// Either persistence module's error, for [`storage`].
enum Storage {
    Store(StoreError),
    Outbox(crate::outbox::OutboxError),
}

impl From<StoreError> for Storage {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<crate::outbox::OutboxError> for Storage {
    fn from(err: crate::outbox::OutboxError) -> Self {
        Self::Outbox(err)
    }
}

/// A lead field as given (the alert template cleans it): required ones must not be blank, and
/// none may be longer than [`MAX_LEAD_FIELD`] characters.
fn lead_text(field: &str, value: &str, required: bool) -> Result<String, FieldError> {
    plain_text(field, value)?;
    if required && value.trim().is_empty() {
        return Err(FieldError::new(
            "missing_lead_field",
            field,
            format!("{field} is empty: the staff need it to call back"),
        )
        .with_hint("Send what the receptionist learned, e.g. \"name\": \"Maria Lopez\"."));
    }
    let chars = value.chars().count();
    if chars > MAX_LEAD_FIELD {
        return Err(FieldError::new(
            "lead_field_too_long",
            field,
            format!("{field} has {chars} characters; at most {MAX_LEAD_FIELD} are accepted"),
        ));
    }
    Ok(value.to_owned())
}

/// Checks a body: not blank, at most 1,600 characters.
pub fn checked_body(body: &str) -> Result<String, FieldError> {
    plain_text("body", body)?;
    if body.trim().is_empty() {
        return Err(
            FieldError::new("empty_body", "body", "the message body is empty")
                .with_hint("Send the text to deliver."),
        );
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(FieldError::new(
            "body_too_long",
            "body",
            format!("the body has {chars} characters; Twilio accepts at most 1600"),
        )
        .with_hint("Shorten the text; under 320 characters delivers best."));
    }
    Ok(body.to_owned())
}

/// The credential a message goes through: the one named, or the org's primary Twilio one,
/// refused up front (nothing queued) when it cannot send. Opening it proves its secrets decrypt
/// and its sender is set; the client is cached for the dispatcher.
async fn sending_credential(
    services: &Services,
    caller: &Caller,
    named: Option<&str>,
) -> Result<(Credential, String), SendError> {
    let store = &services.store;
    let org = caller.org();
    let credential = match named {
        Some(raw) => {
            let id = CredentialId::parse(raw.trim()).map_err(SendError::MalformedCredentialId)?;
            match store.get_credential(org, &id).await {
                Ok(credential) => credential,
                Err(StoreError::NotFound { .. }) => return Err(SendError::CredentialNotFound(id)),
                Err(err) => return Err(storage(err, "reading the credential")),
            }
        }
        // Read on every send: as this process read it within the last second (see
        // `Store::recent_primary_credential`); the dispatcher reads it again before sending.
        None => store
            .recent_primary_credential(org, CredentialType::Twilio)
            .await
            .map_err(|err| storage(err, "reading the primary credential"))?
            .ok_or(SendError::NoPrimaryCredential)?,
    };
    let account = services
        .accounts()
        .usable_account(org, &credential)
        .await
        .map_err(|err| match err {
            Unusable::Store(err) => storage(err, "opening the credential"),
            other => SendError::Unusable(other),
        })?;
    let sender = sender_label(&account.sender);
    Ok((credential, sender))
}

/// A message ready to queue, and how it reads as accepted.
fn prepare(
    kind: MessageKind,
    credential: &Credential,
    sender: &str,
    to: &PhoneNumber,
    body: String,
    now: i64,
) -> (NewMessage, MessageRecord) {
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
    (message, record)
}

/// Queues `messages` (with the first answer when a key is given), or replays / refuses per key.
async fn queue(
    services: &Services,
    caller: &Caller,
    idempotency: Option<(Idempotency<'_>, String)>,
    messages: Vec<(NewMessage, MessageRecord)>,
    now: i64,
) -> Result<Accepted, SendError> {
    let (messages, records): (Vec<NewMessage>, Vec<MessageRecord>) = messages.into_iter().unzip();
    let first = match &idempotency {
        Some((idem, fingerprint)) => Some((
            IdempotentRequest {
                key: idem.key.clone(),
                fingerprint: fingerprint.clone(),
            },
            (idem.answer)(&records).map_err(|err| unexpected(err, "encoding the answer"))?,
        )),
        None => None,
    };
    let org = caller.org();
    let delivery = &services.delivery;
    // The sending quota is counted in the transaction that queues the texts.
    let enqueued = delivery
        .outbox()
        .enqueue_within_quota(org, &messages, first.as_ref().map(|(r, a)| (r, a)), now)
        .await
        .map_err(|err| storage(err, "queueing messages"))?;
    match enqueued {
        Enqueued::Created => {
            delivery.dispatcher().wake();
            tracing::info!(org_id = %org, count = messages.len(), "messages queued");
            Ok(Accepted::Queued(records))
        }
        Enqueued::Replayed(first) => Ok(Accepted::Replayed(first)),
        Enqueued::KeyReused => Err(SendError::IdempotencyKeyReused),
        Enqueued::OverQuota(refusal) => Err(SendError::QuotaExceeded(quota::exceeded(
            refusal,
            messages.len(),
        ))),
    }
}

/// What identifies a request for idempotency: its scope and its normalised fields.
fn fingerprint(scope: &str, request: &impl Serialize) -> Result<String, SendError> {
    idempotency::fingerprint(scope, request)
        .map_err(|err| unexpected(err, "fingerprinting the request"))
}

/// The normalised request that the fingerprint covers.
#[derive(Serialize)]
struct SmsFingerprint<'a> {
    to: &'a str,
    body: &'a str,
    credential_id: Option<&'a str>,
}

/// Queues one SMS through the named or the primary Twilio credential.
pub async fn send_sms(
    services: &Services,
    caller: &Caller,
    request: SmsRequest,
    idempotency: Option<Idempotency<'_>>,
) -> Result<Accepted, SendError> {
    let to = PhoneNumber::parse("to", &request.to)?;
    let body = checked_body(&request.body)?;
    let named = request.credential_id.as_deref().map(str::trim);
    let fingerprint = fingerprint(
        SMS_SCOPE,
        &SmsFingerprint {
            to: to.as_str(),
            body: &body,
            credential_id: named,
        },
    )?;
    let (credential, sender) = sending_credential(services, caller, named).await?;
    let now = now_ms();
    let message = prepare(MessageKind::Sms, &credential, &sender, &to, body, now);
    let idempotency = idempotency.map(|idem| (idem, fingerprint));
    queue(services, caller, idempotency, vec![message], now).await
}

#[derive(Serialize)]
struct HotLeadFingerprint<'a> {
    name: &'a str,
    phone: &'a str,
    reason: &'a str,
    preferred_time: Option<&'a str>,
    call_id: Option<&'a str>,
    to: Option<Vec<&'a str>>,
    // Left out when absent, so requests made before it existed keep their fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_id: Option<&'a str>,
}

/// When the lead's appointment is, for the alert; an id of no appointment of this organization
/// is refused as not found.
async fn booked_words(services: &Services, caller: &Caller, id: &str) -> Result<String, SendError> {
    match crate::booking::booked_words(services, caller, id).await {
        Ok(words) => Ok(words),
        Err(crate::booking::BookingError::NotFound) => Err(SendError::AppointmentNotFound),
        Err(crate::booking::BookingError::Store(err)) => {
            Err(storage(err, "reading the appointment"))
        }
        Err(err) => Err(unexpected(err, "reading the appointment")),
    }
}

fn lead_of(input: &LeadInput) -> Result<Lead, SendError> {
    let optional = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|text| lead_text(field, text, false))
            .transpose()
    };
    Ok(Lead {
        name: lead_text("lead.name", &input.name, true)?,
        phone: PhoneNumber::parse("lead.phone", &input.phone)?,
        reason: lead_text("lead.reason", &input.reason, true)?,
        preferred_time: optional("lead.preferred_time", &input.preferred_time)?,
        call_id: optional("lead.call_id", &input.call_id)?,
    })
}

/// Numbers parsed one by one, each error naming `{field}[{index}]`.
fn numbers(field: &str, raw: &[String]) -> Result<Vec<PhoneNumber>, PhoneError> {
    raw.iter()
        .enumerate()
        .map(|(i, number)| PhoneNumber::parse(&format!("{field}[{i}]"), number))
        .collect()
}

/// Alerts the clinic's staff about a hot lead: one text per recipient (each once), one GSM-7
/// segment each, through the primary Twilio credential.
pub async fn send_hot_lead(
    services: &Services,
    caller: &Caller,
    request: HotLeadRequest,
    idempotency: Option<Idempotency<'_>>,
) -> Result<Accepted, SendError> {
    let lead = lead_of(&request.lead)?;
    let explicit = match &request.to {
        Some(list) if list.is_empty() => {
            return Err(FieldError::new(
                "no_recipients",
                "to",
                "`to` is an empty list: it must name at least one number",
            )
            .with_hint("Pass \"to\": [\"+1…\"], or omit `to` to alert the organization's alert_recipients.")
            .into());
        }
        Some(list) if list.len() > MAX_ALERT_RECIPIENTS => {
            return Err(FieldError::new(
                "too_many_recipients",
                "to",
                format!(
                    "`to` names {} numbers; at most {MAX_ALERT_RECIPIENTS} are alerted at once",
                    list.len()
                ),
            )
            .with_hint("Alert the staff who must call back now; the organization's alert recipients are capped the same way.")
            .into());
        }
        Some(list) => Some(numbers("to", list)?),
        None => None,
    };
    let fingerprint = fingerprint(
        HOT_LEAD_SCOPE,
        &HotLeadFingerprint {
            name: &lead.name,
            phone: lead.phone.as_str(),
            reason: &lead.reason,
            preferred_time: lead.preferred_time.as_deref(),
            call_id: lead.call_id.as_deref(),
            to: explicit
                .as_ref()
                .map(|list| list.iter().map(PhoneNumber::as_str).collect()),
            appointment_id: request.appointment_id.as_deref().map(str::trim),
        },
    )?;
    let store = &services.store;
    let org = caller.org();
    let recipients = match explicit {
        Some(list) => list,
        None => {
            let settings = store
                .get_settings(org)
                .await
                .map_err(|err| storage(err, "reading the settings"))?;
            numbers("alert_recipients", &settings.alert_recipients)?
        }
    };
    if recipients.is_empty() {
        return Err(SendError::NoRecipients);
    }
    let (credential, sender) = sending_credential(services, caller, None).await?;
    let clinic = store
        .get_organization(org)
        .await
        .map_err(|err| storage(err, "reading the organization"))?
        .name;
    let booked = match request.appointment_id.as_deref() {
        Some(id) => Some(booked_words(services, caller, id).await?),
        None => None,
    };
    let text = hot_lead::render_booked(&lead, &clinic, booked.as_deref());
    let now = now_ms();
    // Keep the caller's order, without sending one person the alert twice.
    let mut seen = HashSet::new();
    let messages = recipients
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
        .collect();
    let idempotency = idempotency.map(|idem| (idem, fingerprint));
    queue(services, caller, idempotency, messages, now).await
}
