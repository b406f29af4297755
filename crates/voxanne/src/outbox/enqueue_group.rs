//! Accepting messages, group-committed: the requests without an idempotency key that arrive
//! together are counted against their organizations' sending quotas and queued in one
//! transaction, a few multi-row statements in all, each request answered after that commit.

use std::collections::BTreeMap;

use super::enqueue::{
    EnqueueJob, Enqueued, NewMessage, accepted_detail, callback_token_hash, new_callback_token,
};
use super::status::MessageStatus;
use super::{Outbox, OutboxError, db_err, shared_outage};
use crate::ids::OrgId;
use crate::store::backend::{BeginWrite, on_pool};
use crate::store::{QuotaAsk, QuotaRefusal, QuotaTx};

/// The multi-row forms of the enqueue's inserts (`push_values` adds the rows).
const INSERT_MESSAGES: &str = "INSERT INTO messages (id, org_id, credential_id, kind, to_number, sender, body, status, \
       status_rank, segments, needs_attention, callback_token, created_at, updated_at) ";
const INSERT_QUEUE_ROWS: &str =
    "INSERT INTO outbox (message_id, org_id, credential_id, due_at, callback_token) ";
const INSERT_EVENTS: &str =
    "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) ";

/// Messages per multi-row statement: 14 parameters each stays far below either backend's limit
/// on bound parameters (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_STATEMENT: usize = 200;

/// The counted jobs of a group by organization, in id order: two processes then take the quota
/// rows of the organizations they share in the same order, so neither waits on the other in a
/// circle (PostgreSQL).
fn by_organization(jobs: &[EnqueueJob]) -> BTreeMap<&str, Vec<usize>> {
    let mut orgs: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, job) in jobs.iter().enumerate().filter(|(_, job)| job.counted) {
        orgs.entry(job.org.as_str()).or_default().push(index);
    }
    orgs
}

impl Outbox {
    /// Writes every job in one transaction. If that fails, each job is written on its own, so
    /// one bad job cannot fail the others (unless the database is unavailable: then each fails
    /// at once).
    pub(super) async fn enqueue_jobs(
        &self,
        jobs: Vec<EnqueueJob>,
    ) -> Vec<Result<Enqueued, OutboxError>> {
        if jobs.len() > 1 {
            match self.insert_together(&jobs).await {
                Ok(done) => return done.into_iter().map(Ok).collect(),
                Err(err) => match shared_outage(err, jobs.len()) {
                    Ok(outage) => return outage,
                    Err(err) => {
                        tracing::warn!(jobs = jobs.len(), error = %err, "a group commit failed; writing its jobs one by one")
                    }
                },
            }
        }
        let mut results = Vec::with_capacity(jobs.len());
        for job in &jobs {
            results.push(
                self.enqueue_one(&job.org, &job.messages, None, job.now, job.counted)
                    .await,
            );
        }
        results
    }

    async fn insert_together(&self, jobs: &[EnqueueJob]) -> Result<Vec<Enqueued>, OutboxError> {
        on_pool!(&self.db, pool => {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(db_err("opening a transaction"))?;
            // The quota first: a job it refuses writes nothing, the others go on.
            let mut refusals: Vec<Option<QuotaRefusal>> = vec![None; jobs.len()];
            for indexes in by_organization(jobs).into_values() {
                let asks: Vec<QuotaAsk> = indexes.iter().map(|&i| jobs[i].ask()).collect();
                let org = &jobs[indexes[0]].org;
                // No organization (deleted meanwhile): its messages' inserts fail on their
                // foreign key, and the group falls back to one transaction per job.
                if let Some(counted) = QuotaTx::count_texts(&mut *tx, org, &asks)
                    .await
                    .map_err(db_err("counting the sending quota"))?
                {
                    for (&i, refusal) in indexes.iter().zip(counted.refusals) {
                        refusals[i] = refusal;
                    }
                }
            }
            let rows: Vec<(&OrgId, &NewMessage, i64, String)> = jobs
                .iter()
                .zip(&refusals)
                .filter(|(_, refusal)| refusal.is_none())
                .flat_map(|(job, _)| {
                    job.messages
                        .iter()
                        .map(move |message| (&job.org, message, job.now, new_callback_token()))
                })
                .collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let mut insert = sqlx::QueryBuilder::new(INSERT_MESSAGES);
                insert.push_values(chunk, |mut row, (org, message, now, token)| {
                    row.push_bind(&message.id)
                        .push_bind(*org)
                        .push_bind(&message.credential_id)
                        .push_bind(message.kind.as_str())
                        .push_bind(&message.to)
                        .push_bind(&message.sender)
                        .push_bind(&message.body)
                        .push_bind(MessageStatus::Queued.as_str())
                        .push_bind(i64::from(MessageStatus::Queued.rank()))
                        .push_bind(i64::from(message.segments))
                        .push_bind(0i64)
                        .push_bind(callback_token_hash(token))
                        .push_bind(*now)
                        .push_bind(*now);
                });
                insert
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("inserting messages"))?;
                let mut queue = sqlx::QueryBuilder::new(INSERT_QUEUE_ROWS);
                queue.push_values(chunk, |mut row, (org, message, now, token)| {
                    row.push_bind(&message.id)
                        .push_bind(*org)
                        .push_bind(&message.credential_id)
                        .push_bind(*now)
                        .push_bind(token.as_str());
                });
                queue
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("queueing messages"))?;
                let mut events = sqlx::QueryBuilder::new(INSERT_EVENTS);
                events.push_values(chunk, |mut row, (_, message, now, _)| {
                    row.push_bind(&message.id)
                        .push_bind(*now)
                        .push_bind("accepted")
                        .push_bind(MessageStatus::Queued.as_str())
                        .push_bind(Some(accepted_detail(message)))
                        .push_bind(None::<i64>);
                });
                events
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("recording the acceptances"))?;
            }
            tx.commit()
                .await
                .map_err(db_err("committing the messages"))?;
            Ok(refusals
                .into_iter()
                .map(|refusal| refusal.map_or(Enqueued::Created, Enqueued::OverQuota))
                .collect())
        })
    }
}
