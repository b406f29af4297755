//! The durable outbox: every message we promise to send, its timeline, and the queue that
//! carries it to Twilio.
//!
//! A message and its queue row are written in one transaction, so an accepted request is never
//! lost and a queued row never points at nothing. Workers (see `crate::dispatch`) claim rows with
//! a lease and a fencing token; every write after the Twilio call names that token, so a worker
//! whose lease expired cannot overwrite the work of the worker that took over.
//!
//! All times are Unix milliseconds, stored as `BIGINT` in both backends.

mod claim;
mod db;
mod enqueue;
mod history;
pub mod idempotency;
mod pg_batch;
mod queue;
pub mod reason;
mod record;
pub mod status;
mod timeline;
mod upkeep;

pub use claim::{Claim, Outcome};
pub use db::Db;
pub use enqueue::{Enqueued, IdempotentRequest, NewMessage, StoredResponse};
pub use history::{ListFilter, MessagePage, StuckMessage};
pub use record::{EventRecord, MessageKind, MessageRecord};
pub use status::MessageStatus;
pub use timeline::{StatusApplied, StatusReport};

/// Why an outbox operation failed. Always a storage problem: bad input is refused before.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("database error while {doing}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored message {message_id} has an unreadable {field}: {value:?}")]
    Corrupt {
        message_id: String,
        field: &'static str,
        value: String,
    },
}

/// Wraps a sqlx error with what we were doing.
pub(crate) fn db_err(doing: &'static str) -> impl FnOnce(sqlx::Error) -> OutboxError {
    move |source| OutboxError::Database { doing, source }
}

/// The durable outbox over one database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
}

impl Outbox {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A duration in whole milliseconds, saturating.
pub fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
