//! The durable outbox: every message we promise to send, its timeline, and the queue that
//! carries it to Twilio.
//!
//! A message and its queue row are written in one transaction, so an accepted request is never
//! lost and a queued row never points at nothing. Workers (see `crate::dispatch`) claim rows with
//! a lease and a fencing token; every write after the Twilio call names that token, so a worker
//! whose lease expired cannot overwrite the work of the worker that took over.
//!
//! All times are Unix milliseconds, stored as `BIGINT` in both backends. The SQL runs on the
//! store's backend layer (`crate::store::backend`): one pool, one set of macros.

mod claim;
mod enqueue;
mod enqueue_group;
mod group_commit;
mod history;
pub mod idempotency;
mod pg_batch;
mod queue;
pub mod reason;
mod record;
mod sqlite_settle;
mod sqlite_status;
pub mod status;
mod timeline;
mod upkeep;
mod workers;

pub use claim::{Claim, Outcome};
pub use enqueue::{
    Enqueued, IdempotentRequest, NewMessage, StoredResponse, callback_token_hash,
    callback_token_matches,
};
pub use history::{ListFilter, MessagePage, StuckMessage};
pub use record::{EventRecord, MessageKind, MessageRecord};
pub use status::MessageStatus;
pub use timeline::{StatusApplied, StatusReport};

use std::sync::Arc;

use crate::store::Store;
use crate::store::backend::Db;

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

impl OutboxError {
    /// The database could not be reached (an outage, not a bug): retry later.
    pub fn is_outage(&self) -> bool {
        matches!(self, Self::Database { source, .. } if crate::store::is_outage(source))
    }
}

/// The answers of a group commit that failed because the database is unavailable: every job
/// gets that outage at once. Writing them one by one instead (what a group does when one bad
/// job failed it) would make the last caller wait out the store's timeouts once per job ahead
/// of it: far past the 5 s within which every request must be answered. The error is handed
/// back (`Err`) when it is no outage. sqlx's errors are not `Clone`: the first job gets the error itself, the others
/// its text as an I/O error, which every adapter answers as the database being unavailable.
pub(super) fn shared_outage<T>(
    err: OutboxError,
    jobs: usize,
) -> Result<Vec<Result<T, OutboxError>>, OutboxError> {
    let OutboxError::Database { doing, source } = err else {
        return Err(err);
    };
    if !crate::store::is_outage(&source) {
        return Err(OutboxError::Database { doing, source });
    }
    let text = source.to_string();
    let mut answers = Vec::with_capacity(jobs);
    answers.push(Err(OutboxError::Database { doing, source }));
    answers.extend((1..jobs).map(|_| {
        Err(OutboxError::Database {
            doing,
            source: sqlx::Error::Io(std::io::Error::other(text.clone())),
        })
    }));
    Ok(answers)
}

/// Wraps a sqlx error with what we were doing.
pub(crate) fn db_err(doing: &'static str) -> impl FnOnce(sqlx::Error) -> OutboxError {
    move |source| OutboxError::Database { doing, source }
}

/// The durable outbox, in the store's database (its own tables, the store's pool and backend
/// layer). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    /// Enqueues without an idempotency key, group-committed.
    enqueues: Arc<group_commit::Combiner<enqueue::EnqueueJob, Result<Enqueued, OutboxError>>>,
    /// Status reports on SQLite, group-committed.
    statuses:
        Arc<group_commit::Combiner<sqlite_status::StatusJob, Result<StatusApplied, OutboxError>>>,
}

impl Outbox {
    /// The outbox of `store`'s database: a message and the credential it goes out through live
    /// side by side, and a queue row is written in the same transaction as its message.
    pub fn new(store: &Store) -> Self {
        Self {
            db: store.db().clone(),
            enqueues: Arc::default(),
            statuses: Arc::default(),
        }
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
