//! Status reports on SQLite, group-committed: the reports that arrive together (Twilio's
//! callbacks come in bursts, three per text) are applied in one transaction, each exactly as it
//! would be alone (deduplicated, forward only, on the timeline), and each callback is answered
//! after that commit. PostgreSQL applies a report in one statement instead (`pg_batch`).

use sqlx::SqlitePool;

use super::timeline::{StatusApplied, StatusReport};
use super::{Outbox, OutboxError, db_err};
use crate::store::backend::BeginWrite;

/// One status report waiting for a group commit.
pub(super) struct StatusJob {
    pub(super) org: String,
    pub(super) id: String,
    pub(super) report: StatusReport,
    pub(super) now: i64,
}

/// Applies `jobs` in one transaction; if that fails, each in its own, so one bad report cannot
/// fail the others.
pub(super) async fn apply_statuses(
    pool: &SqlitePool,
    jobs: Vec<StatusJob>,
) -> Vec<Result<StatusApplied, OutboxError>> {
    if jobs.len() > 1 {
        match apply_together(pool, &jobs).await {
            Ok(applied) => return applied.into_iter().map(Ok).collect(),
            Err(err) => {
                tracing::warn!(reports = jobs.len(), error = %err, "a group commit failed; applying its reports one by one")
            }
        }
    }
    let mut results = Vec::with_capacity(jobs.len());
    for job in &jobs {
        results.push(
            apply_together(pool, std::slice::from_ref(job))
                .await
                .map(|mut applied| applied.pop().unwrap_or(StatusApplied::Unknown)),
        );
    }
    results
}

async fn apply_together(
    pool: &SqlitePool,
    jobs: &[StatusJob],
) -> Result<Vec<StatusApplied>, OutboxError> {
    let mut tx = pool
        .begin_write()
        .await
        .map_err(db_err("opening a transaction"))?;
    let mut applied = Vec::with_capacity(jobs.len());
    for job in jobs {
        applied.push(
            Outbox::apply_sqlite_status(&mut tx, &job.org, &job.id, &job.report, job.now).await?,
        );
    }
    tx.commit()
        .await
        .map_err(db_err("committing status reports"))?;
    Ok(applied)
}
