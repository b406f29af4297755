//! Messages and timeline events as stored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::OutboxError;
use super::status::MessageStatus;

/// What kind of message it is (the hot-lead alert or a free-form text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Sms,
    HotLead,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Sms => "sms",
            MessageKind::HotLead => "hot_lead",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "sms" => Ok(MessageKind::Sms),
            "hot_lead" => Ok(MessageKind::HotLead),
            _ => Err(()),
        }
    }
}

/// The raw row, decoded the same way from both backends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: String,
    pub org_id: String,
    pub credential_id: String,
    pub kind: String,
    pub to_number: String,
    pub sender: String,
    pub body: String,
    pub status: String,
    pub twilio_sid: Option<String>,
    pub segments: i64,
    pub error_code: Option<i64>,
    pub reason: Option<String>,
    pub needs_attention: i64,
    pub callback_token: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns [`MessageRow`] reads, for `SELECT` lists.
pub(crate) const MESSAGE_COLUMNS: &str = "id, org_id, credential_id, kind, to_number, sender, body, status, twilio_sid, \
     segments, error_code, reason, needs_attention, callback_token, created_at, updated_at";

/// One message as the API and the dispatcher see it.
#[derive(Clone)]
pub struct MessageRecord {
    pub id: String,
    pub org_id: String,
    pub credential_id: String,
    pub kind: MessageKind,
    pub to: String,
    /// The From number or Messaging Service SID used.
    pub sender: String,
    pub body: String,
    pub status: MessageStatus,
    pub twilio_sid: Option<String>,
    pub segments: u32,
    pub error_code: Option<u32>,
    pub reason: Option<String>,
    pub needs_attention: bool,
    /// Authenticates status callbacks for credentials without an Auth Token. Never shown.
    pub callback_token: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Debug hides the body, the full number and the callback token (logs must not carry them).
impl fmt::Debug for MessageRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageRecord")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("to", &mask_phone(&self.to))
            .field("status", &self.status)
            .field("twilio_sid", &self.twilio_sid)
            .finish_non_exhaustive()
    }
}

impl TryFrom<MessageRow> for MessageRecord {
    type Error = OutboxError;

    fn try_from(row: MessageRow) -> Result<Self, OutboxError> {
        let corrupt = |field: &'static str, value: String| OutboxError::Corrupt {
            message_id: row.id.clone(),
            field,
            value,
        };
        let kind = row
            .kind
            .parse()
            .map_err(|()| corrupt("kind", row.kind.clone()))?;
        let status = row
            .status
            .parse()
            .map_err(|_| corrupt("status", row.status.clone()))?;
        Ok(MessageRecord {
            kind,
            status,
            segments: u32::try_from(row.segments).unwrap_or(0),
            error_code: row.error_code.and_then(|c| u32::try_from(c).ok()),
            needs_attention: row.needs_attention != 0,
            id: row.id,
            org_id: row.org_id,
            credential_id: row.credential_id,
            to: row.to_number,
            sender: row.sender,
            body: row.body,
            twilio_sid: row.twilio_sid,
            reason: row.reason,
            callback_token: row.callback_token,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// One entry of a message's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRecord {
    pub at: i64,
    /// `accepted`, `sent_to_twilio`, `status`, `retry`, `reconciling`, `adopted`, `failed`,
    /// `needs_attention`, `paused`, `resumed`, `ignored`.
    pub kind: String,
    pub status: Option<String>,
    pub detail: Option<String>,
    pub twilio_code: Option<i64>,
}

/// `+1555…0123` → `+1555***0123`-style masking for logs: country and area code, last 2 digits.
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "***".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_phone_keeps_only_the_prefix_and_last_two_digits() {
        assert_eq!(mask_phone("+15557770001"), "+155***01");
        assert_eq!(mask_phone("+1"), "***");
    }
}
