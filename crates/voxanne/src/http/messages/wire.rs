//! The JSON shapes of the Sending API (`…In` requests, `…Out` responses).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::outbox::{EventRecord, MessageKind, MessageRecord, MessageStatus};

/// `POST /api/messages`: a free-form SMS.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// Recipient in E.164 form, e.g. `+14155552671`.
    pub to: String,
    /// The text (at most 1,600 characters; the response says how many SMS segments it costs). No
    /// control characters but newlines and tabs.
    #[schema(
        min_length = 1,
        max_length = 1600,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*[^\\s\\u0000-\\u0008\\u000b-\\u001f\\u007f][^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"
    )]
    pub body: String,
    /// The Twilio credential to send through (`cred_…`); default: the organization's primary.
    #[serde(default)]
    pub credential_id: Option<String>,
}

/// `POST /api/messages/hot-lead`: alert the clinic's staff about a caller who wants to book.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotLeadIn {
    pub lead: LeadIn,
    /// Recipients in E.164 form (at most 20); default: the organization's `alert_recipients`
    /// setting.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 20)]
    pub to: Option<Vec<String>>,
    /// The lead's appointment (`appt_…`, from `POST /api/calendar/appointments`): the alert
    /// then says when they are booked ("Booked Tue 3:00 PM", in the clinic's time zone).
    #[serde(default)]
    pub appointment_id: Option<String>,
}

/// What the receptionist learned about the caller.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadIn {
    /// The caller's name; other scripts are transliterated in the text (王小明 → Wang Xiao Ming).
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*[^\\s\\u0000-\\u0008\\u000b-\\u001f\\u007f][^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"
    )]
    pub name: String,
    /// The caller's number in E.164 form (staff call it back).
    pub phone: String,
    /// Why they called, in a few words.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*[^\\s\\u0000-\\u0008\\u000b-\\u001f\\u007f][^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"
    )]
    pub reason: String,
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"
    )]
    pub preferred_time: Option<String>,
    /// The receptionist's call reference, shown in the text so staff can find the transcript.
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"
    )]
    pub call_id: Option<String>,
}

/// A message as stored, with where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageOut {
    /// `msg_…`
    pub id: String,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub to: String,
    pub body: String,
    /// The Twilio credential it is sent through.
    pub credential_id: String,
    /// Twilio's SID once Twilio accepted it.
    pub twilio_sid: Option<String>,
    /// SMS segments it costs (what Twilio bills).
    pub segments: u32,
    /// Twilio's error code when it failed or was not delivered.
    pub error_code: Option<u32>,
    /// Why it failed or is held, in plain words.
    pub reason: Option<String>,
    /// True when an earlier attempt may have been sent and a person must check before resending.
    pub needs_attention: bool,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

/// One step of a message's life.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    /// RFC 3339.
    pub at: String,
    /// `accepted`, `sent_to_twilio`, `status`, `retry`, `reconciling`, `adopted`, `failed`,
    /// `needs_attention`, `paused`, `ignored` (a status callback for another Twilio SID).
    pub kind: String,
    pub status: Option<String>,
    pub detail: Option<String>,
    pub twilio_code: Option<i64>,
}

/// `GET /api/messages/{id}`: the message and its timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageDetailOut {
    #[serde(flatten)]
    pub message: MessageOut,
    pub timeline: Vec<EventOut>,
}

/// `POST /api/messages/hot-lead`: one message per recipient.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HotLeadOut {
    pub messages: Vec<MessageOut>,
}

/// `GET /api/messages`: newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageListOut {
    pub messages: Vec<MessageOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/messages` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only messages with this status, e.g. `delivered` (empty: any).
    pub status: Option<String>,
    /// Only messages to this number (E.164; empty: any).
    pub to: Option<String>,
    /// Only messages created at or after this time (RFC 3339; empty: any).
    pub since: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// RFC 3339 (UTC, milliseconds) of a Unix-milliseconds time.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&MessageRecord> for MessageOut {
    fn from(m: &MessageRecord) -> Self {
        MessageOut {
            id: m.id.clone(),
            kind: m.kind,
            status: m.status,
            to: m.to.clone(),
            body: m.body.clone(),
            credential_id: m.credential_id.clone(),
            twilio_sid: m.twilio_sid.clone(),
            segments: m.segments,
            error_code: m.error_code,
            reason: m.reason.clone(),
            needs_attention: m.needs_attention,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

impl From<&EventRecord> for EventOut {
    fn from(e: &EventRecord) -> Self {
        EventOut {
            at: rfc3339(e.at),
            kind: e.kind.clone(),
            status: e.status.clone(),
            detail: e.detail.clone(),
            twilio_code: e.twilio_code,
        }
    }
}
