//! Which dispatcher processes are alive: each writes a heartbeat every second, and the claims of
//! one that fell silent are freed at once instead of waiting out their lease. A worker that was
//! only paused (SIGSTOP) and wakes later finds its claims fenced: it can write nothing.

use super::{Outbox, OutboxError, db_err};
use crate::store::backend::{BeginWrite, on_pool};

impl Outbox {
    /// Records that `worker` is alive at `now`.
    pub async fn heartbeat(&self, worker: &str, now: i64) -> Result<(), OutboxError> {
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO dispatch_workers (id, heartbeat_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            )
            .bind(worker)
            .bind(now)
            .execute(pool)
            .await
            .map_err(db_err("recording a heartbeat"))?;
            Ok(())
        })
    }

    /// Makes the claims of every worker silent since `dead_before` due at `now` and forgets those
    /// workers. Returns `None` when no worker was silent, else how many claims were freed. Their
    /// next holder reconciles any that had a send in flight (the claim marks them), so nothing is
    /// sent twice.
    pub async fn free_dead_claims(
        &self,
        dead_before: i64,
        now: i64,
    ) -> Result<Option<u64>, OutboxError> {
        on_pool!(&self.db, pool => {
            // Almost always nobody is silent: a read of the tiny workers table, and no write lock.
            let silent: Option<String> =
                sqlx::query_scalar("SELECT id FROM dispatch_workers WHERE heartbeat_at < $1 LIMIT 1")
                    .bind(dead_before)
                    .fetch_optional(pool)
                    .await
                    .map_err(db_err("looking for silent workers"))?;
            if silent.is_none() {
                return Ok(None);
            }
            let mut tx = pool
                .begin_write()
                .await
                .map_err(db_err("opening a transaction"))?;
            // A claim's `due_at` is its lease's end: the condition on it uses the queue's index.
            let freed = sqlx::query(
                "UPDATE outbox SET due_at = $2, lease_until = $2 \
                 WHERE paused = 0 AND due_at > $2 AND lease_until > $2 AND lease_owner IN \
                   (SELECT id FROM dispatch_workers WHERE heartbeat_at < $1)",
            )
            .bind(dead_before)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err("freeing the claims of silent workers"))?
            .rows_affected();
            sqlx::query("DELETE FROM dispatch_workers WHERE heartbeat_at < $1")
                .bind(dead_before)
                .execute(&mut *tx)
                .await
                .map_err(db_err("forgetting silent workers"))?;
            tx.commit().await.map_err(db_err("committing"))?;
            Ok(Some(freed))
        })
    }
}
