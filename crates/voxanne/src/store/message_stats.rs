//! Counts over an organization's messages for the dashboard's overview: texts per day and status,
//! the median hot-lead time to delivery, and how many are flagged for a person. Aggregated in the
//! database, so a busy clinic's overview reads a few rows, not its whole week.
//!
//! The `messages` table is the outbox's; these are read-only queries on its
//! `(org_id, created_at)` index.

use tracing::instrument;

use super::backend::on_pool;
use super::{Store, StoreError};
use crate::ids::OrgId;

/// Milliseconds in a UTC day (`created_at` is Unix milliseconds).
pub const DAY_MS: i64 = 86_400_000;

/// How many of the organization's texts, created on one UTC day, have one status, and how many
/// of those are flagged for a person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayStatusCount {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub status: String,
    pub count: i64,
    pub flagged: i64,
}

impl Store {
    /// Texts created since `since_ms`, counted per UTC day and status (one scan).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn message_counts_by_day(
        &self,
        org: &OrgId,
        since_ms: i64,
    ) -> Result<Vec<DayStatusCount>, StoreError> {
        Ok(on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT created_at / $3 AS day, status, COUNT(*) AS count, \
                 SUM(CASE WHEN needs_attention <> 0 THEN 1 ELSE 0 END) AS flagged FROM messages \
                 WHERE org_id = $1 AND created_at >= $2 GROUP BY created_at / $3, status",
            )
            .bind(org)
            .bind(since_ms)
            .bind(DAY_MS)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The median time, in milliseconds, from acceptance to the delivered report of the hot-lead
    /// alerts created since `since_ms`; `None` when none was delivered.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn hot_lead_delivery_median_ms(
        &self,
        org: &OrgId,
        since_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let delivered: i64 = on_pool!(&self.db, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM messages WHERE org_id = $1 AND created_at >= $2 \
                 AND kind = 'hot_lead' AND status IN ('delivered', 'read')",
            )
            .bind(org)
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        if delivered == 0 {
            return Ok(None);
        }
        Ok(on_pool!(&self.db, pool => {
            sqlx::query_scalar(
                "SELECT updated_at - created_at FROM messages WHERE org_id = $1 AND created_at >= $2 \
                 AND kind = 'hot_lead' AND status IN ('delivered', 'read') \
                 ORDER BY updated_at - created_at LIMIT 1 OFFSET $3",
            )
            .bind(org)
            .bind(since_ms)
            .bind(delivered / 2)
            .fetch_optional(pool)
            .await?
        }))
    }
}
