//! Accepting messages: the message rows, their queue rows, the first timeline entry and the
//! `Idempotency-Key` answer, all in one transaction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::group_commit::Unwritten;
use super::idempotency::{IdempotencyKey, KEY_LIFETIME};
use super::record::MessageKind;
use super::status::MessageStatus;
use super::timeline::INSERT_EVENT;
use super::{Outbox, OutboxError, db_err, millis};
use crate::ids::{CredentialId, MessageId, OrgId};
use crate::store::backend::{BeginWrite, on_pool};
use crate::store::{QuotaAsk, QuotaRefusal, QuotaTx};

/// A message to queue, already validated (E.164 `to`, non-empty body) and rendered.
#[derive(Clone)]
pub struct NewMessage {
    pub id: MessageId,
    pub credential_id: CredentialId,
    pub kind: MessageKind,
    pub to: String,
    /// The credential's From number or Messaging Service SID.
    pub sender: String,
    pub body: String,
    pub segments: u32,
}

/// The idempotency side of a request: its key and the fingerprint of what was asked.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    pub key: IdempotencyKey,
    pub fingerprint: String,
}

/// The answer given to the first request of a key, replayed to its repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What [`Outbox::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The messages were queued; answer the response that was passed in.
    Created,
    /// The key was used before with the same request: answer this, queue nothing.
    Replayed(StoredResponse),
    /// The key was used before with another request: refuse (422), queue nothing.
    KeyReused,
    /// The organization's sending quota has no room for these texts: nothing was queued or
    /// counted (only [`Outbox::enqueue_within_quota`] counts).
    OverQuota(QuotaRefusal),
}

/// A fresh per-message secret for the StatusCallback URL: 32 random bytes, base64url.
///
/// It is kept in the message's queue row only while the message still has to be handed to
/// Twilio (the dispatcher puts it in the URL); the message itself keeps its SHA-256, which is all
/// a status callback needs to be checked against.
pub fn new_callback_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a message keeps of its callback token: the SHA-256, in hex.
pub fn callback_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `given` (the `t` of a callback URL) is the token whose hash the message keeps, in
/// constant time. Messages queued before tokens were hashed kept the token itself.
pub fn callback_token_matches(given: &str, kept: &str) -> bool {
    if given.is_empty() {
        return false;
    }
    // A hash is 64 hex digits; a token kept whole is 43 base64url characters. Only the latter is
    // compared as given: otherwise the hash itself (read from a copy of the database) would pass.
    let kept_is_hash = kept.len() == 64 && kept.bytes().all(|b| b.is_ascii_hexdigit());
    if kept_is_hash {
        bool::from(callback_token_hash(given).as_bytes().ct_eq(kept.as_bytes()))
    } else {
        bool::from(given.as_bytes().ct_eq(kept.as_bytes()))
    }
}

const CLAIM_KEY: &str = "INSERT INTO idempotency_keys (org_id, idem_key, fingerprint, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (org_id, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, \
       response_status = NULL, response_body = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at \
     WHERE idempotency_keys.expires_at <= excluded.created_at \
     RETURNING idem_key";
const READ_KEY: &str = "SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE org_id = $1 AND idem_key = $2";
const SAVE_RESPONSE: &str = "UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE org_id = $1 AND idem_key = $2";
const INSERT_MESSAGE: &str = "INSERT INTO messages (id, org_id, credential_id, kind, to_number, sender, body, status, \
       status_rank, segments, needs_attention, callback_token, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $12)";
const INSERT_OUTBOX: &str = "INSERT INTO outbox (message_id, org_id, credential_id, due_at, callback_token) \
     VALUES ($1, $2, $3, $4, $5)";

/// The acceptance's timeline entry.
pub(super) fn accepted_detail(message: &NewMessage) -> String {
    format!(
        "queued for sending through credential {}",
        message.credential_id
    )
}

impl Outbox {
    /// Queues `messages` for `org`, due at once, unless `idempotency` names a key already used.
    /// Counts no sending quota (the outbox's own tests and benchmarks queue freely); sends on a
    /// clinic's behalf go through [`Outbox::enqueue_within_quota`].
    pub async fn enqueue(
        &self,
        org: &OrgId,
        messages: &[NewMessage],
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
        now: i64,
    ) -> Result<Enqueued, OutboxError> {
        self.enqueue_with(org, messages, idempotency, now, false)
            .await
    }

    /// [`Outbox::enqueue`], counting the texts against the organization's sending quota in the
    /// same transaction: [`Enqueued::OverQuota`] when they do not fit (nothing queued, nothing
    /// counted), and a replayed or refused key counts nothing either.
    pub async fn enqueue_within_quota(
        &self,
        org: &OrgId,
        messages: &[NewMessage],
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
        now: i64,
    ) -> Result<Enqueued, OutboxError> {
        self.enqueue_with(org, messages, idempotency, now, true)
            .await
    }

    /// Concurrent requests with one key serialise on the key's row: the first inserts it and
    /// commits its messages and response together; the others wait for that commit, then find
    /// the row and replay its response. A key older than 24 hours is taken over as new.
    ///
    /// Requests without a key are group-committed: concurrent ones share one transaction (see
    /// `group_commit`), and each still returns only after its messages are committed.
    #[tracing::instrument(skip_all, fields(org_id = %org, count = messages.len()))]
    async fn enqueue_with(
        &self,
        org: &OrgId,
        messages: &[NewMessage],
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
        now: i64,
        counted: bool,
    ) -> Result<Enqueued, OutboxError> {
        if idempotency.is_some() {
            return self
                .enqueue_one(org, messages, idempotency, now, counted)
                .await;
        }
        let job = EnqueueJob {
            org: org.clone(),
            messages: messages.to_vec(),
            now,
            counted,
        };
        let outbox = self.clone();
        self.enqueues
            .submit(
                job,
                move |jobs| async move { outbox.enqueue_jobs(jobs).await },
            )
            .await
            .unwrap_or_else(|unwritten| {
                Err(OutboxError::Database {
                    doing: "queueing messages (the shared write did not answer)",
                    source: match unwritten {
                        // Certainly not written: the database could not be written for a while.
                        Unwritten::Busy => sqlx::Error::PoolTimedOut,
                        Unwritten::Died => sqlx::Error::WorkerCrashed,
                    },
                })
            })
    }

    /// One request's messages (and its idempotency key) in a transaction of its own.
    pub(super) async fn enqueue_one(
        &self,
        org: &OrgId,
        messages: &[NewMessage],
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
        now: i64,
        counted: bool,
    ) -> Result<Enqueued, OutboxError> {
        on_pool!(&self.db, pool => {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(db_err("opening a transaction"))?;
            if let Some((request, _)) = idempotency {
                let claimed = sqlx::query_scalar::<_, String>(CLAIM_KEY)
                    .bind(org)
                    .bind(request.key.as_str())
                    .bind(&request.fingerprint)
                    .bind(now)
                    .bind(now.saturating_add(millis(KEY_LIFETIME)))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err("claiming the idempotency key"))?;
                if claimed.is_none() {
                    let (fingerprint, status, body) =
                        sqlx::query_as::<_, (String, Option<i64>, Option<String>)>(READ_KEY)
                            .bind(org)
                            .bind(request.key.as_str())
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db_err("reading the idempotency key"))?;
                    tx.rollback()
                        .await
                        .map_err(db_err("ending the transaction"))?;
                    if fingerprint != request.fingerprint {
                        return Ok(Enqueued::KeyReused);
                    }
                    // The first request commits its response with its messages, so a visible
                    // row always has one; a missing one would be a bug, answered as a reuse.
                    return Ok(match (status.and_then(|s| u16::try_from(s).ok()), body) {
                        (Some(status), Some(body)) => {
                            Enqueued::Replayed(StoredResponse { status, body })
                        }
                        _ => Enqueued::KeyReused,
                    });
                }
            }
            if counted {
                let ask = QuotaAsk {
                    texts: u32::try_from(messages.len()).unwrap_or(u32::MAX),
                    now_ms: now,
                };
                // No organization (deleted meanwhile): nothing to count, and its messages'
                // inserts fail on their foreign key below.
                let refusal = QuotaTx::count_texts(&mut *tx, org, &[ask])
                    .await
                    .map_err(db_err("counting the sending quota"))?
                    .and_then(|counted| counted.refusals.into_iter().next().flatten());
                if let Some(refusal) = refusal {
                    tx.rollback()
                        .await
                        .map_err(db_err("ending the transaction"))?;
                    return Ok(Enqueued::OverQuota(refusal));
                }
            }
            for message in messages {
                let token = new_callback_token();
                sqlx::query(INSERT_MESSAGE)
                    .bind(&message.id)
                    .bind(org)
                    .bind(&message.credential_id)
                    .bind(message.kind.as_str())
                    .bind(&message.to)
                    .bind(&message.sender)
                    .bind(&message.body)
                    .bind(MessageStatus::Queued.as_str())
                    .bind(i64::from(MessageStatus::Queued.rank()))
                    .bind(i64::from(message.segments))
                    .bind(callback_token_hash(&token))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("inserting a message"))?;
                sqlx::query(INSERT_OUTBOX)
                    .bind(&message.id)
                    .bind(org)
                    .bind(&message.credential_id)
                    .bind(now)
                    .bind(&token)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("queueing a message"))?;
                sqlx::query(INSERT_EVENT)
                    .bind(&message.id)
                    .bind(now)
                    .bind("accepted")
                    .bind(MessageStatus::Queued.as_str())
                    .bind(Some(accepted_detail(message)))
                    .bind(None::<i64>)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("recording the acceptance"))?;
            }
            if let Some((request, response)) = idempotency {
                sqlx::query(SAVE_RESPONSE)
                    .bind(org)
                    .bind(request.key.as_str())
                    .bind(i64::from(response.status))
                    .bind(&response.body)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("saving the idempotent response"))?;
            }
            tx.commit()
                .await
                .map_err(db_err("committing the messages"))?;
            Ok(Enqueued::Created)
        })
    }

    /// Deletes idempotency keys past their 24 hours; returns how many.
    pub async fn purge_expired_keys(&self, now: i64) -> Result<u64, OutboxError> {
        on_pool!(&self.db, pool => {
            let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .map_err(db_err("purging idempotency keys"))?;
            Ok(done.rows_affected())
        })
    }
}

/// One request's messages, waiting for a group commit.
pub(super) struct EnqueueJob {
    pub(super) org: OrgId,
    pub(super) messages: Vec<NewMessage>,
    pub(super) now: i64,
    /// Whether the texts count against the organization's sending quota.
    pub(super) counted: bool,
}

impl EnqueueJob {
    pub(super) fn ask(&self) -> QuotaAsk {
        QuotaAsk {
            texts: u32::try_from(self.messages.len()).unwrap_or(u32::MAX),
            now_ms: self.now,
        }
    }
}

#[cfg(test)]
mod token_tests {
    use super::*;

    #[test]
    fn a_message_keeps_only_the_hash_of_its_callback_token_and_the_token_matches_it() {
        let token = new_callback_token();
        let kept = callback_token_hash(&token);

        assert_eq!(kept.len(), 64);
        assert!(!kept.contains(&token));
        assert!(callback_token_matches(&token, &kept));
        assert!(
            !callback_token_matches(&kept, &kept),
            "the hash is no token"
        );
        assert!(!callback_token_matches("", &kept));
        assert!(!callback_token_matches(&new_callback_token(), &kept));
    }

    #[test]
    fn a_token_kept_whole_before_hashing_still_matches() {
        let token = new_callback_token();

        assert!(callback_token_matches(&token, &token));
    }
}
