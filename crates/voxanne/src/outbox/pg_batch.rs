//! PostgreSQL fast paths for the two writes that run for every message.
//!
//! Over a socket, each statement costs a round trip and an executor start-up. The portable paths
//! pay that four times per settled message and six times per status callback; at a few thousand
//! messages a second that was most of the database's work. Here a chunk of accepted sends is
//! settled with three statements whatever its size (arrays bound with `unnest`), and a status
//! report is applied with one (data-modifying CTEs, its webhook event included, so it needs no
//! transaction of its own). SQLite group-commits status reports with set-based statements
//! instead (`sqlite_status`) and settles accepted sends set-based too (`sqlite_settle`); the
//! behaviour is the same and the shared story tests run on both.

use sqlx::PgPool;

use super::claim::Claim;
use super::status::MessageStatus;
use super::timeline::{StatusApplied, StatusReport, accepted_event, status_details};
use super::{OutboxError, db_err};
use crate::ids::WebhookEventId;
use crate::store::webhook_events::{EventTx, MessageTransition, message_event_type};

/// One claim Twilio accepted, ready to settle.
pub(super) struct AcceptedSend<'a> {
    pub claim: &'a Claim,
    pub sid: &'a str,
    pub status: MessageStatus,
    pub segments: Option<u32>,
    pub adopted: bool,
}

/// The moves of accepted sends, for their webhook events.
pub(super) fn transitions<'a>(sends: &[&'a AcceptedSend<'_>]) -> Vec<MessageTransition<'a>> {
    sends
        .iter()
        .map(|s| MessageTransition {
            message_id: &s.claim.message_id,
            status: s.status,
        })
        .collect()
}

/// Settles accepted sends in one transaction. Returns, in input order, whether each claim's
/// fence still held (false: a newer worker owns the message and nothing was written for it).
pub(super) async fn settle_accepted(
    pool: &PgPool,
    sends: &[AcceptedSend<'_>],
    now: i64,
) -> Result<Vec<bool>, OutboxError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(db_err("opening a transaction"))?;
    // The fence check and the dequeue in one statement: only rows whose fence still matches go.
    let held: std::collections::HashSet<(String, i64)> = sqlx::query_as::<_, (String, i64)>(
        "DELETE FROM outbox o USING unnest($1::text[], $2::int8[]) AS c(message_id, fence) \
         WHERE o.message_id = c.message_id AND o.fence = c.fence RETURNING o.message_id, o.fence",
    )
    .bind(
        sends
            .iter()
            .map(|s| s.claim.message_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(sends.iter().map(|s| s.claim.fence).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err("settling claims"))?
    .into_iter()
    .collect();
    let holds = |s: &AcceptedSend<'_>| held.contains(&(s.claim.message_id.clone(), s.claim.fence));
    let holding: Vec<&AcceptedSend<'_>> = sends.iter().filter(|s| holds(s)).collect();
    if !holding.is_empty() {
        // The SID, the segment count, and the status, moved forward only (a callback may have
        // recorded a later status before this chunk settled).
        sqlx::query(
            "UPDATE messages m SET twilio_sid = v.sid, segments = COALESCE(v.segments, m.segments), \
               status = CASE WHEN m.status_rank < v.rank THEN v.status ELSE m.status END, \
               status_rank = GREATEST(m.status_rank, v.rank), updated_at = $6 \
             FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[]) \
               AS v(id, sid, segments, status, rank) \
             WHERE m.id = v.id",
        )
        .bind(holding.iter().map(|s| s.claim.message_id.as_str()).collect::<Vec<_>>())
        .bind(holding.iter().map(|s| s.sid).collect::<Vec<_>>())
        .bind(holding.iter().map(|s| s.segments.map(i64::from)).collect::<Vec<_>>())
        .bind(holding.iter().map(|s| s.status.as_str()).collect::<Vec<_>>())
        .bind(holding.iter().map(|s| i64::from(s.status.rank())).collect::<Vec<_>>())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err("recording Twilio SIDs"))?;
        let (kinds, details): (Vec<&str>, Vec<String>) = holding
            .iter()
            .map(|s| accepted_event(s.sid, s.adopted))
            .unzip();
        sqlx::query(
            "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) \
             SELECT e.id, $5, e.kind, e.status, e.detail, NULL \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY \
               AS e(id, kind, status, detail, n) \
             ORDER BY e.n",
        )
        .bind(
            holding
                .iter()
                .map(|s| s.claim.message_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(kinds)
        .bind(
            holding
                .iter()
                .map(|s| s.status.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(details)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err("recording timeline events"))?;
        // Webhooks (issue 14): the statuses these sends moved to raise their events here.
        EventTx::record_message_events(&mut *tx, &transitions(&holding), now)
            .await
            .map_err(db_err("raising webhook events"))?;
    }
    tx.commit().await.map_err(db_err("committing outcomes"))?;
    Ok(sends.iter().map(holds).collect())
}

/// [`super::Outbox::apply_status`] in one statement: the dedup row, the forward-only move, the
/// timeline event and the webhook event of a status that moved (with its deliveries), committed
/// together as one statement is, in one round trip.
pub(super) async fn apply_status(
    pool: &PgPool,
    org: &str,
    id: &str,
    report: &StatusReport,
    now: i64,
) -> Result<StatusApplied, OutboxError> {
    let (moved_detail, ignored_detail) = status_details(report);
    // Webhooks (issue 14): what `EventTx::record_message_events` writes for a status that moved,
    // here as two more CTEs (the event, raised only when an enabled endpoint of the organization
    // subscribes to its type, and one delivery per such endpoint), so no transaction is needed.
    let event_type = message_event_type(report.status);
    let hook_id = event_type.map(|_| WebhookEventId::generate());
    let hook_dedup = event_type.map(|kind| format!("{id}:{kind}"));
    let subscribed = event_type.map(|kind| format!("%\"{kind}\"%"));
    // Every data-modifying CTE runs exactly once, whether or not the final SELECT reads it.
    let (known, fresh, moved) = sqlx::query_as::<_, (i64, i64, i64)>(
        "WITH msg AS (SELECT id FROM messages WHERE org_id = $1 AND id = $2), \
         fresh AS (INSERT INTO status_callbacks (message_id, dedup_key, received_at) \
                   SELECT id, $3, $4 FROM msg ON CONFLICT (message_id, dedup_key) DO NOTHING \
                   RETURNING message_id), \
         moved AS (UPDATE messages SET status = $5, status_rank = $6, \
                     error_code = COALESCE($7, error_code), reason = COALESCE($8, reason), updated_at = $4 \
                   WHERE id IN (SELECT message_id FROM fresh) AND status_rank < $6 \
                   RETURNING id, org_id, credential_id, status, error_code, reason), \
         event AS (INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) \
                   SELECT message_id, $4, 'status', $5, \
                     CASE WHEN EXISTS (SELECT 1 FROM moved) THEN $9 ELSE $10 END, $7 \
                   FROM fresh), \
         hook AS (INSERT INTO webhook_events \
                    (id, org_id, type, message_id, credential_id, status, error_code, reason, dedup_key, created_at) \
                  SELECT $11, m.org_id, $12, m.id, m.credential_id, m.status, m.error_code, m.reason, $13, $4 \
                  FROM moved m WHERE $12::text IS NOT NULL AND EXISTS \
                    (SELECT 1 FROM webhook_endpoints w WHERE w.org_id = m.org_id AND w.enabled = 1 AND w.events LIKE $14) \
                  ON CONFLICT (dedup_key) DO NOTHING RETURNING id, org_id, message_id), \
         fan AS (INSERT INTO webhook_deliveries \
                   (org_id, endpoint_id, event_id, subject_id, due_at, created_at, updated_at) \
                 SELECT w.org_id, w.id, h.id, h.message_id, $4, $4, $4 \
                 FROM hook h JOIN webhook_endpoints w ON w.org_id = h.org_id \
                 WHERE w.enabled = 1 AND w.events LIKE $14 ORDER BY w.id) \
         SELECT (SELECT COUNT(*) FROM msg), (SELECT COUNT(*) FROM fresh), (SELECT COUNT(*) FROM moved)",
    )
    .bind(org)
    .bind(id)
    .bind(&report.dedup_key)
    .bind(now)
    .bind(report.status.as_str())
    .bind(i64::from(report.status.rank()))
    .bind(report.error_code.map(i64::from))
    .bind(report.reason.as_deref())
    .bind(moved_detail)
    .bind(ignored_detail)
    .bind(hook_id.as_ref())
    .bind(event_type)
    .bind(hook_dedup)
    .bind(subscribed)
    .fetch_one(pool)
    .await
    .map_err(db_err("recording a status report"))?;
    Ok(match (known, fresh, moved) {
        (0, _, _) => StatusApplied::Unknown,
        (_, 0, _) => StatusApplied::Duplicate,
        (_, _, 0) => StatusApplied::NotForward,
        _ => StatusApplied::Advanced,
    })
}
