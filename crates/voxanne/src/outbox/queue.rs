//! The queue side: claiming due messages under a lease, and settling each claim's outcome under
//! its fencing token.

use sqlx::QueryBuilder;

use super::claim::{Claim, Outcome};
use super::pg_batch::{self, AcceptedSend};
use super::sqlite_settle;
use super::status::MessageStatus;
use super::timeline::{INSERT_EVENT, accepted_event, advance};
use super::{Outbox, OutboxError, db_err, millis, now_ms};
use crate::backoff::Backoff;
use crate::store::backend::{Backend, BeginWrite, Db, on_pool, sqlite_write_turn};
use crate::store::webhook_events::{EventTx, MessageTransition};

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    message_id: String,
    org_id: String,
    credential_id: String,
    fence: i64,
    attempts: i64,
    reconcile: i64,
    was_in_flight: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimedMessage {
    id: String,
    to_number: String,
    sender: String,
    body: String,
    callback_token: String,
    created_at: i64,
}

/// `due_at` doubles as the lease: a claimed row is not due again until its lease ends, so one
/// indexed condition finds both new work and the work of crashed workers. `in_flight_since`
/// is set by the claim itself; if it was already set, the previous holder never recorded an
/// outcome and may have reached Twilio.
const CLAIM_SQLITE: &str = "UPDATE outbox SET lease_owner = $1, lease_until = $2, due_at = $2, fence = fence + 1, \
       reconcile = CASE WHEN in_flight_since IS NULL THEN reconcile ELSE 1 END, \
       in_flight_since = $3 \
     WHERE message_id IN (SELECT message_id FROM outbox WHERE paused = 0 AND due_at <= $3 ORDER BY due_at LIMIT $4) \
     RETURNING message_id, org_id, credential_id, fence, attempts, reconcile, \
       CASE WHEN reconcile = 1 THEN 1 ELSE 0 END AS was_in_flight";
const CLAIM_POSTGRES: &str = "WITH due AS (SELECT message_id FROM outbox WHERE paused = 0 AND due_at <= $3 \
       ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     UPDATE outbox o SET lease_owner = $1, lease_until = $2, due_at = $2, fence = o.fence + 1, \
       reconcile = CASE WHEN o.in_flight_since IS NULL THEN o.reconcile ELSE 1 END, \
       in_flight_since = $3 \
     FROM due WHERE o.message_id = due.message_id \
     RETURNING o.message_id, o.org_id, o.credential_id, o.fence, o.attempts, o.reconcile, \
       CASE WHEN o.reconcile = 1 THEN 1::BIGINT ELSE 0::BIGINT END AS was_in_flight";

impl Outbox {
    /// Claims up to `limit` due messages for `worker` until `lease_until`.
    #[tracing::instrument(skip_all, fields(worker = worker, limit = limit))]
    pub async fn claim_due(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Claim>, OutboxError> {
        let claim = match self.db.backend() {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        };
        // On SQLite the claim, a write, waits for the write turn like every transaction (see
        // `BeginWrite`); the read of the claimed messages that follows needs no turn.
        let turn = match &self.db {
            Db::Sqlite(pool) => Some(sqlite_write_turn(pool).await),
            Db::Postgres(_) => None,
        };
        on_pool!(&self.db, pool => {
            let rows =
                sqlx::query_as::<_, ClaimedRow>(claim)
                    .bind(worker)
                    .bind(lease_until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await
                    .map_err(db_err("claiming due messages"))?;
            drop(turn);
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            // The rows are claimed now: a read that fails here (an outage beginning) is tried
            // again until the lease ends, or they would wait out the lease a minute late.
            let mut attempt = 1;
            let messages = loop {
                let wait = Backoff::DATABASE_OUTAGE.ceiling(attempt);
                // A query builder builds once: a retry makes a new one.
                let mut select = QueryBuilder::new(
                    // The token is in the queue row (the message keeps only its hash); rows queued
                    // before that kept it in the message.
                    "SELECT m.id, m.to_number, m.sender, m.body, \
                       COALESCE(o.callback_token, m.callback_token) AS callback_token, m.created_at \
                     FROM messages m JOIN outbox o ON o.message_id = m.id WHERE m.id IN (",
                );
                let mut ids = select.separated(", ");
                for row in &rows {
                    ids.push_bind(row.message_id.clone());
                }
                select.push(")");
                match select.build_query_as::<ClaimedMessage>().fetch_all(pool).await {
                    Ok(messages) => break messages,
                    Err(err) if now_ms().saturating_add(millis(wait)) < lease_until => {
                        tracing::warn!(error = %err, "reading claimed messages failed; trying again");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    Err(err) => return Err(db_err("reading claimed messages")(err)),
                }
            };
            let mut by_id: std::collections::HashMap<String, ClaimedMessage> =
                messages.into_iter().map(|m| (m.id.clone(), m)).collect();
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    let message = by_id.remove(&row.message_id)?;
                    Some(Claim {
                        must_reconcile: row.reconcile != 0 || row.was_in_flight != 0,
                        message_id: row.message_id,
                        org_id: row.org_id,
                        credential_id: row.credential_id,
                        fence: row.fence,
                        attempts: row.attempts,
                        to: message.to_number,
                        sender: message.sender,
                        body: message.body,
                        callback_token: message.callback_token,
                        created_at: message.created_at,
                    })
                })
                .collect())
        })
    }

    /// Records outcomes in one transaction. Each entry is applied only if its fence still holds;
    /// the result says, per entry, whether it was (false: a newer worker owns the message).
    #[tracing::instrument(skip_all, fields(count = outcomes.len()))]
    pub async fn settle(
        &self,
        outcomes: &[(Claim, Outcome)],
        now: i64,
    ) -> Result<Vec<bool>, OutboxError> {
        let mut applied = vec![false; outcomes.len()];
        // Accepted sends, nearly all of them, settle together (set-based: see `pg_batch` and
        // `sqlite_settle`); the rest one by one.
        let mut accepted = Vec::new();
        let mut sends = Vec::new();
        let mut one_by_one = Vec::new();
        for (i, (claim, outcome)) in outcomes.iter().enumerate() {
            match outcome {
                Outcome::Accepted {
                    sid,
                    status,
                    segments,
                    adopted,
                    ..
                } => {
                    accepted.push(i);
                    sends.push(AcceptedSend {
                        claim,
                        sid,
                        status: *status,
                        segments: *segments,
                        adopted: *adopted,
                    });
                }
                _ => one_by_one.push(i),
            }
        }
        if !sends.is_empty() {
            let held = match &self.db {
                Db::Postgres(pool) => pg_batch::settle_accepted(pool, &sends, now).await?,
                Db::Sqlite(pool) => sqlite_settle::settle_accepted(pool, &sends, now).await?,
            };
            for ((&i, send), holds) in accepted.iter().zip(&sends).zip(held) {
                if !holds {
                    warn_stale(send.claim);
                }
                applied[i] = holds;
            }
        }
        if !one_by_one.is_empty() {
            let rest: Vec<&(Claim, Outcome)> = one_by_one.iter().map(|&i| &outcomes[i]).collect();
            let held = self.settle_each(&rest, now).await?;
            for (i, holds) in one_by_one.into_iter().zip(held) {
                applied[i] = holds;
            }
        }
        Ok(applied)
    }

    /// [`Outbox::settle`], a statement or a few per outcome, in one transaction.
    async fn settle_each(
        &self,
        outcomes: &[&(Claim, Outcome)],
        now: i64,
    ) -> Result<Vec<bool>, OutboxError> {
        on_pool!(&self.db, pool => {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(db_err("opening a transaction"))?;
            let mut applied = Vec::with_capacity(outcomes.len());
            for (claim, outcome) in outcomes {
                let attempted = match outcome {
                    Outcome::Accepted { attempted, .. }
                    | Outcome::Retry { attempted, .. }
                    | Outcome::Failed { attempted, .. }
                    | Outcome::Reconcile { attempted, .. }
                    | Outcome::PauseCredential { attempted, .. } => *attempted,
                    Outcome::NeedsAttention { .. } => false,
                };
                let attempts = claim.attempts + i64::from(attempted);
                // The fence check: only the current holder may touch the row.
                // Back in the queue until `due_at` (a retry as it was, a reconcile asking Twilio
                // before sending again, a paused credential's message held until it is fixed), or
                // done: (due_at, note, paused, reconcile; `None` keeps the flag as it is).
                let requeue = match outcome {
                    Outcome::Accepted { .. } | Outcome::Failed { .. } | Outcome::NeedsAttention { .. } => None,
                    Outcome::Retry { due_at, cause, .. } => Some((*due_at, cause, 0_i64, Some(0_i64))),
                    Outcome::Reconcile { due_at, cause, .. } => Some((*due_at, cause, 0, Some(1))),
                    Outcome::PauseCredential { reason, .. } => Some((now, reason, 1, None)),
                };
                let holds = match requeue {
                    None => {
                        sqlx::query("DELETE FROM outbox WHERE message_id = $1 AND fence = $2")
                            .bind(&claim.message_id)
                            .bind(claim.fence)
                            .execute(&mut *tx)
                            .await
                    }
                    Some((due_at, note, paused, reconcile)) => {
                        sqlx::query(
                            "UPDATE outbox SET paused = $6, due_at = $3, attempts = $4, last_error = $5, \
                               in_flight_since = NULL, lease_owner = NULL, lease_until = 0, \
                               reconcile = COALESCE($7, reconcile) \
                             WHERE message_id = $1 AND fence = $2",
                        )
                        .bind(&claim.message_id)
                        .bind(claim.fence)
                        .bind(due_at)
                        .bind(attempts)
                        .bind(note)
                        .bind(paused)
                        .bind(reconcile)
                        .execute(&mut *tx)
                        .await
                    }
                }
                .map_err(db_err("settling a claim"))?
                .rows_affected()
                    == 1;
                applied.push(holds);
                if !holds {
                    warn_stale(claim);
                    continue;
                }
                let (kind, status, detail, code): (&str, Option<&str>, String, Option<i64>) =
                    match outcome {
                        Outcome::Accepted {
                            sid,
                            status,
                            segments,
                            adopted,
                            ..
                        } => {
                            sqlx::query(
                            "UPDATE messages SET twilio_sid = $2, segments = COALESCE($3, segments), updated_at = $4 \
                             WHERE id = $1",
                        )
                        .bind(&claim.message_id)
                        .bind(sid)
                        .bind(segments.map(i64::from))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err("recording the Twilio SID"))?;
                            advance!(
                                tx,
                                &claim.message_id,
                                *status,
                                None::<i64>,
                                None::<&str>,
                                now
                            )?;
                            let (kind, detail) = accepted_event(sid, *adopted);
                            (kind, Some(status.as_str()), detail, None)
                        }
                        Outcome::Retry { cause, code, .. } => {
                            ("retry", None, cause.clone(), code.map(i64::from))
                        }
                        Outcome::Reconcile { cause, code, .. } => {
                            ("reconciling", None, cause.clone(), code.map(i64::from))
                        }
                        Outcome::Failed { code, reason, .. } => {
                            advance!(
                                tx,
                                &claim.message_id,
                                MessageStatus::Failed,
                                code.map(i64::from),
                                Some(reason.as_str()),
                                now
                            )?;
                            (
                                "failed",
                                Some(MessageStatus::Failed.as_str()),
                                reason.clone(),
                                code.map(i64::from),
                            )
                        }
                        Outcome::NeedsAttention { reason } => {
                            sqlx::query("UPDATE messages SET needs_attention = 1, reason = $2, updated_at = $3 WHERE id = $1")
                            .bind(&claim.message_id)
                            .bind(reason)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err("flagging a message for attention"))?;
                            ("needs_attention", None, reason.clone(), None)
                        }
                        Outcome::PauseCredential { reason, .. } => {
                            sqlx::query("UPDATE outbox SET paused = 1 WHERE credential_id = $1 AND org_id = $2")
                            .bind(&claim.credential_id)
                            .bind(&claim.org_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err("pausing the credential's queue"))?;
                            ("paused", None, reason.clone(), Some(20003))
                        }
                    };
                sqlx::query(INSERT_EVENT)
                    .bind(&claim.message_id)
                    .bind(now)
                    .bind(kind)
                    .bind(status)
                    .bind(detail)
                    .bind(code)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("recording a timeline event"))?;
                // Webhooks (issue 14): the status this outcome moved the message to raises its
                // event in this transaction.
                if let Some(status) = status.and_then(|s| s.parse::<MessageStatus>().ok()) {
                    let moved = [MessageTransition { message_id: &claim.message_id, status }];
                    EventTx::record_message_events(&mut *tx, &moved, now)
                        .await
                        .map_err(db_err("raising webhook events"))?;
                }
            }
            tx.commit().await.map_err(db_err("committing outcomes"))?;
            Ok(applied)
        })
    }
}

fn warn_stale(claim: &Claim) {
    tracing::warn!(message_id = %claim.message_id, fence = claim.fence, "stale claim: a newer worker owns this message; outcome dropped");
}
