//! Texts through each clinic's own Twilio account: send an SMS or a hot-lead alert (queued in
//! the outbox, idempotently), read a message with its timeline, list them, and take Twilio's
//! status reports. Every front door calls these; each words [`SendError`] and [`ReadError`] for
//! its own reader.

mod read;
mod send;
mod status_report;

pub use self::read::{MessageQuery, Page, get, list};
pub use self::send::{
    Accepted, HotLeadRequest, Idempotency, LeadInput, SendError, SmsRequest, send_hot_lead,
    send_sms,
};
pub use self::status_report::{CallbackError, StatusCallback, receive_status_report};

use crate::field::FieldError;

/// Why a message cannot be read or listed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// No such message in the caller's organization (another organization's looks the same).
    #[error("no such message in this organization")]
    NotFound,
    /// The database cannot be reached right now.
    #[error("the messages cannot be read right now")]
    Unavailable(#[source] crate::outbox::OutboxError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<FieldError> for ReadError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(err)
    }
}

impl From<crate::phone::PhoneError> for ReadError {
    fn from(err: crate::phone::PhoneError) -> Self {
        Self::Invalid(err.into())
    }
}
