//! SQLite's fast path for settling accepted sends: the twin of `pg_batch::settle_accepted`.
//!
//! The portable path (`queue::settle_each`) runs four or five statements per settled message.
//! On SQLite each statement is a hop to the connection's worker thread and back, and at a
//! dispatcher's chunk of 256 messages those hops (and their context switches) were most of the
//! drain's cost. Here a chunk is settled with four statements whatever its size: the fence check
//! and the dequeue, the SIDs and statuses, the timeline entries, and the webhook events.

use std::collections::HashSet;

use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::pg_batch::{AcceptedSend, transitions};
use super::timeline::accepted_event;
use super::{OutboxError, db_err};
use crate::store::backend::BeginWrite;
use crate::store::webhook_events::EventTx;

/// Sends per statement: five bound values each keeps far below SQLite's 32,766 parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// Settles accepted sends in one transaction. Returns, in input order, whether each claim's
/// fence still held (false: a newer worker owns the message and nothing was written for it).
pub(super) async fn settle_accepted(
    pool: &SqlitePool,
    sends: &[AcceptedSend<'_>],
    now: i64,
) -> Result<Vec<bool>, OutboxError> {
    let mut tx = pool
        .begin_write()
        .await
        .map_err(db_err("opening a transaction"))?;
    // The fence check and the dequeue in one statement: only rows whose fence still matches go.
    let mut held: HashSet<(String, i64)> = HashSet::with_capacity(sends.len());
    for chunk in sends.chunks(ROWS_PER_STATEMENT) {
        let mut delete = QueryBuilder::<Sqlite>::new("WITH c(message_id, fence) AS (");
        delete.push_values(chunk, |mut row, send| {
            row.push_bind(&send.claim.message_id)
                .push_bind(send.claim.fence);
        });
        delete.push(
            ") DELETE FROM outbox WHERE (message_id, fence) IN (SELECT message_id, fence FROM c) \
             RETURNING message_id, fence",
        );
        held.extend(
            delete
                .build_query_as::<(String, i64)>()
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err("settling claims"))?,
        );
    }
    let holds = |s: &AcceptedSend<'_>| held.contains(&(s.claim.message_id.clone(), s.claim.fence));
    let holding: Vec<&AcceptedSend<'_>> = sends.iter().filter(|s| holds(s)).collect();
    for chunk in holding.chunks(ROWS_PER_STATEMENT) {
        // The SID, the segment count, and the status, moved forward only (a callback may have
        // recorded a later status before this chunk settled). Every right-hand side reads the
        // row as it was before the update.
        let mut update =
            QueryBuilder::<Sqlite>::new("WITH v(id, sid, segments, status, rank) AS (");
        update.push_values(chunk, |mut row, send| {
            row.push_bind(&send.claim.message_id)
                .push_bind(send.sid)
                .push_bind(send.segments.map(i64::from))
                .push_bind(send.status.as_str())
                .push_bind(i64::from(send.status.rank()));
        });
        update.push(
            ") UPDATE messages SET twilio_sid = v.sid, \
               segments = COALESCE(v.segments, messages.segments), \
               status = CASE WHEN messages.status_rank < v.rank THEN v.status ELSE messages.status END, \
               status_rank = MAX(messages.status_rank, v.rank), updated_at = ",
        );
        update.push_bind(now);
        update.push(" FROM v WHERE messages.id = v.id");
        update
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db_err("recording Twilio SIDs"))?;
        let mut events = QueryBuilder::<Sqlite>::new(
            "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) ",
        );
        events.push_values(chunk, |mut row, send| {
            let (kind, detail) = accepted_event(send.sid, send.adopted);
            row.push_bind(&send.claim.message_id)
                .push_bind(now)
                .push_bind(kind)
                .push_bind(send.status.as_str())
                .push_bind(detail)
                .push_bind(None::<i64>);
        });
        events
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db_err("recording timeline events"))?;
    }
    if !holding.is_empty() {
        // Webhooks (issue 14): the statuses these sends moved to raise their events here.
        EventTx::record_message_events(&mut *tx, &transitions(&holding), now)
            .await
            .map_err(db_err("raising webhook events"))?;
    }
    tx.commit().await.map_err(db_err("committing outcomes"))?;
    Ok(sends.iter().map(holds).collect())
}
