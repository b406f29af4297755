//! Reading messages back (one with its timeline, or a filtered page) and applying the statuses
//! Twilio reports later (status callbacks and the reconciler).

use sqlx::QueryBuilder;

use super::group_commit::Unwritten;
use super::record::{EventRecord, MESSAGE_COLUMNS, MessageRecord, MessageRow};
use super::status::MessageStatus;
use super::timeline::{StatusApplied, StatusReport};
use super::{Outbox, OutboxError, db_err, pg_batch, sqlite_status};
use crate::store::backend::{Db, on_pool};

/// `GET /api/messages` filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<MessageStatus>,
    pub to: Option<String>,
    /// Only messages created at or after this time (ms).
    pub since: Option<i64>,
    /// Continue after this `(created_at, id)` (newest first).
    pub after: Option<(i64, String)>,
    pub limit: u32,
}

/// One page, newest first, and the position to continue from when there may be more.
#[derive(Debug, Clone)]
pub struct MessagePage {
    pub messages: Vec<MessageRecord>,
    pub next: Option<(i64, String)>,
}

/// A message Twilio has but that has not reached a final status for a while.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StuckMessage {
    pub id: String,
    pub org_id: String,
    pub credential_id: String,
    pub twilio_sid: String,
}

impl Outbox {
    /// One message of `org`, or `None` (also when it belongs to another organization).
    #[tracing::instrument(skip_all, fields(org_id = org, message_id = id))]
    pub async fn get(&self, org: &str, id: &str) -> Result<Option<MessageRecord>, OutboxError> {
        on_pool!(&self.db, pool => {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE org_id = $1 AND id = $2"
            ));
            let row = sqlx::query_as::<_, MessageRow>(sql)
                .bind(org)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(db_err("reading a message"))?;
            row.map(MessageRecord::try_from).transpose()
        })
    }

    /// The timeline of one message of `org`, oldest first.
    pub async fn events(&self, org: &str, id: &str) -> Result<Vec<EventRecord>, OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query_as::<_, EventRecord>(
                "SELECT e.at, e.kind, e.status, e.detail, e.twilio_code FROM message_events e \
                 JOIN messages m ON m.id = e.message_id \
                 WHERE m.org_id = $1 AND e.message_id = $2 ORDER BY e.id",
            )
            .bind(org)
            .bind(id)
            .fetch_all(pool)
            .await
            .map_err(db_err("reading a message's timeline"))
        })
    }

    /// A page of `org`'s messages, newest first.
    #[tracing::instrument(skip_all, fields(org_id = org))]
    pub async fn list(&self, org: &str, filter: &ListFilter) -> Result<MessagePage, OutboxError> {
        let limit = filter.limit.clamp(1, 500);
        let rows: Vec<MessageRow> = on_pool!(&self.db, pool => {
            let mut query = QueryBuilder::new(format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE org_id = "
            ));
            query.push_bind(org.to_owned());
            if let Some(status) = filter.status {
                query.push(" AND status = ").push_bind(status.as_str());
            }
            if let Some(to) = &filter.to {
                query.push(" AND to_number = ").push_bind(to.clone());
            }
            if let Some(since) = filter.since {
                query.push(" AND created_at >= ").push_bind(since);
            }
            if let Some((at, id)) = &filter.after {
                query.push(" AND (created_at < ").push_bind(*at);
                query.push(" OR (created_at = ").push_bind(*at);
                query.push(" AND id < ").push_bind(id.clone()).push("))");
            }
            query
                .push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .push_bind(i64::from(limit) + 1);
            query
                .build_query_as::<MessageRow>()
                .fetch_all(pool)
                .await
                .map_err(db_err("listing messages"))?
        });
        let more = rows.len() > limit as usize;
        let messages = rows
            .into_iter()
            .take(limit as usize)
            .map(MessageRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more {
            messages.last().map(|m| (m.created_at, m.id.clone()))
        } else {
            None
        };
        Ok(MessagePage { messages, next })
    }

    /// Applies a status Twilio reported: deduplicated, recorded on the timeline, and moved
    /// forward only.
    #[tracing::instrument(skip_all, fields(org_id = org, message_id = id, status = %report.status))]
    pub async fn apply_status(
        &self,
        org: &str,
        id: &str,
        report: &StatusReport,
        now: i64,
    ) -> Result<StatusApplied, OutboxError> {
        // PostgreSQL has its one-statement version; SQLite's is below, group-committed.
        let pool = match &self.db {
            Db::Postgres(pool) => {
                return pg_batch::apply_status(pool, org, id, report, now).await;
            }
            Db::Sqlite(pool) => pool.clone(),
        };
        let job = sqlite_status::StatusJob {
            org: org.to_owned(),
            id: id.to_owned(),
            report: report.clone(),
            now,
        };
        self.statuses
            .submit(job, move |jobs| async move {
                sqlite_status::apply_statuses(&pool, jobs).await
            })
            .await
            .unwrap_or_else(|unwritten| {
                Err(OutboxError::Database {
                    doing: "applying a status report (the shared write did not answer)",
                    source: match unwritten {
                        // Certainly not written: the database could not be written for a while.
                        Unwritten::Busy => sqlx::Error::PoolTimedOut,
                        Unwritten::Died => sqlx::Error::WorkerCrashed,
                    },
                })
            })
    }

    /// Messages Twilio has that have not reached a final status and were not updated since
    /// `quiet_since`, created after `created_after`, oldest update first.
    pub async fn stuck(
        &self,
        quiet_since: i64,
        created_after: i64,
        limit: u32,
    ) -> Result<Vec<StuckMessage>, OutboxError> {
        // Rank 6 and above is final (`MessageStatus::is_final`; a status test checks it).
        on_pool!(&self.db, pool => {
            sqlx::query_as::<_, StuckMessage>(
                "SELECT id, org_id, credential_id, twilio_sid FROM messages \
                 WHERE status_rank < 6 AND updated_at < $1 AND created_at > $2 AND twilio_sid IS NOT NULL \
                   AND needs_attention = 0 \
                 ORDER BY updated_at LIMIT $3",
            )
            .bind(quiet_since)
            .bind(created_after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(db_err("finding stuck messages"))
        })
    }

    /// Adds an informational entry (`kind`, `detail`) to the timeline of `org`'s message `id`,
    /// changing nothing else; a message of another organization gets nothing.
    pub async fn note(
        &self,
        org: &str,
        id: &str,
        kind: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) \
                 SELECT id, $3, $4, NULL, $5, NULL FROM messages WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(now)
            .bind(kind)
            .bind(detail)
            .execute(pool)
            .await
            .map_err(db_err("noting a timeline event"))?;
            Ok(())
        })
    }

    /// Marks a message as looked at now, so the reconciler waits before fetching it again.
    pub async fn touch(&self, id: &str, now: i64) -> Result<(), OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query("UPDATE messages SET updated_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map_err(db_err("touching a message"))?;
            Ok(())
        })
    }

    /// The Twilio SIDs among `sids` that a message (of any organization) already holds: such a
    /// SID cannot be adopted by another message.
    pub async fn known_sids(&self, sids: &[String]) -> Result<Vec<String>, OutboxError> {
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        on_pool!(&self.db, pool => {
            // Across every organization: two clinics may share one Twilio account, and a SID
            // adopted by one message must never be adopted by another, whoever owns it.
            let mut query = QueryBuilder::new("SELECT twilio_sid FROM messages WHERE twilio_sid IN (");
            let mut list = query.separated(", ");
            for sid in sids {
                list.push_bind(sid.clone());
            }
            query.push(")");
            query
                .build_query_scalar::<String>()
                .fetch_all(pool)
                .await
                .map_err(db_err("reading known SIDs"))
        })
    }
}
