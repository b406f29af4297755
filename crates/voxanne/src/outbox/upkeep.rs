//! Queue upkeep: releasing held messages, and the numbers an idle dispatcher or an operator
//! asks for.

use super::{Outbox, OutboxError, db_err};
use crate::store::backend::{Db, on_pool};

impl Outbox {
    /// Releases the pause on a credential's queued messages (after it was fixed and verified).
    #[tracing::instrument(skip_all, fields(org_id = org, credential_id = credential))]
    pub async fn resume_credential(
        &self,
        org: &str,
        credential: &str,
        now: i64,
    ) -> Result<u64, OutboxError> {
        on_pool!(&self.db, pool => {
            let done = sqlx::query(
                "UPDATE outbox SET paused = 0, due_at = $3 WHERE org_id = $1 AND credential_id = $2 AND paused = 1",
            )
            .bind(org)
            .bind(credential)
            .bind(now)
            .execute(pool)
            .await
            .map_err(db_err("resuming a credential's queue"))?;
            Ok(done.rows_affected())
        })
    }

    /// Releases the pause on every credential that was fixed since (verified again, active):
    /// the periodic task calls this so a clinic that repairs its credential needs no other step.
    pub async fn resume_fixed_credentials(&self, now: i64) -> Result<u64, OutboxError> {
        on_pool!(&self.db, pool => {
            let done = sqlx::query(
                "UPDATE outbox SET paused = 0, due_at = $1 WHERE paused = 1 AND credential_id IN \
                   (SELECT id FROM credentials WHERE is_active = TRUE AND verification_status = 'verified')",
            )
            .bind(now)
            .execute(pool)
            .await
            .map_err(db_err("resuming fixed credentials"))?;
            Ok(done.rows_affected())
        })
    }

    /// How many messages wait in the queue (due or not, paused or not).
    pub async fn backlog(&self) -> Result<i64, OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox")
                .fetch_one(pool)
                .await
                .map_err(db_err("counting the backlog"))
        })
    }

    /// Refreshes the query planner's statistics of the queue's tables, as pgbench does after
    /// loading: statistics that still describe nearly empty tables plan a large batch's lookups
    /// badly until autovacuum analyzes them (only every minute). SQLite keeps no such statistics
    /// unless asked, and is left as it is.
    pub async fn refresh_statistics(&self) -> Result<(), OutboxError> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query("ANALYZE messages, outbox")
                .execute(pool)
                .await
                .map_err(db_err("analyzing the queue's tables"))?;
        }
        Ok(())
    }

    /// The earliest `due_at` among unpaused rows, so an idle dispatcher knows when to wake.
    pub async fn next_due(&self) -> Result<Option<i64>, OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(due_at) FROM outbox WHERE paused = 0")
                .fetch_one(pool)
                .await
                .map_err(db_err("reading the next due time"))
        })
    }
}
