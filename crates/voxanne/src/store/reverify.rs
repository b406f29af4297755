//! Scheduled re-verification's bookkeeping: when each credential is next re-checked, who claims
//! it, and what the last run found. Statuses are never written here: a re-check that decides
//! something records it through [`Store::record_verification`] like any verification.
//!
//! Several servers may share one database. A server claims due credentials by moving their
//! `next_check_at` forward in one `UPDATE … RETURNING` (with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, and re-checking the due time on the row it updates), so a credential is handed to
//! exactly one of them per interval.

use chrono::DateTime;
use tracing::instrument;

use super::backend::{Db, in_transaction, on_pool};
use super::model::{Recheck, RecheckOutcome, VerificationStatus};
use super::webhook_events::{CredentialEvent, CredentialEventKind, EventTx};
use super::{Store, StoreError};
use crate::ids::{CredentialId, OrgId};

/// The re-verification columns of a credential row.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RecheckRow {
    next_check_at: Option<i64>,
    last_checked_at: Option<i64>,
    last_check_outcome: Option<RecheckOutcome>,
    recheck_failures: i64,
}

impl RecheckRow {
    pub(super) fn into_model(self) -> Recheck {
        Recheck {
            last_checked_at: self
                .last_checked_at
                .and_then(DateTime::from_timestamp_millis),
            next_check_at: self.next_check_at.and_then(DateTime::from_timestamp_millis),
            last_outcome: self.last_check_outcome,
            consecutive_failures: u32::try_from(self.recheck_failures).unwrap_or(u32::MAX),
        }
    }
}

/// A credential handed to this server to re-check.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedRecheck {
    pub org_id: OrgId,
    pub id: CredentialId,
}

/// The claim of due credentials (active ones whose secrets open and whose grant stands:
/// `undecryptable` cannot be opened, `needs_reconnect` waits for the clinic), with `$lock` after
/// the subquery's `LIMIT` and `$recheck_due` after it.
macro_rules! claim_sql {
    ($lock:literal, $recheck_due:literal) => {
        concat!(
            "UPDATE credentials SET next_check_at = $2 WHERE id IN \
             (SELECT id FROM credentials WHERE is_active = TRUE \
              AND verification_status IN ('unverified', 'verified', 'failed') \
              AND next_check_at <= $1 ORDER BY next_check_at LIMIT $3",
            $lock,
            ")",
            $recheck_due,
            " RETURNING org_id, id"
        )
    };
}

/// One re-check run as recorded.
#[derive(Debug, Clone, Copy)]
pub struct RecheckRun<'a> {
    pub outcome: RecheckOutcome,
    pub checked_at_ms: i64,
    pub next_check_at_ms: i64,
    /// The count of runs in a row that could not check at which `credential.recheck_failed` is
    /// raised (once per streak).
    pub signal_at: u32,
    /// The event's reason, in plain words.
    pub reason: &'a str,
}

impl Store {
    /// Gives every credential without a next check one at `now_ms` plus `delay_ms(id)` (the
    /// interval, jittered per credential). Returns how many were scheduled.
    #[instrument(skip_all)]
    pub async fn schedule_unscheduled_rechecks(
        &self,
        now_ms: i64,
        mut delay_ms: impl FnMut() -> i64,
    ) -> Result<u64, StoreError> {
        let ids: Vec<CredentialId> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT id FROM credentials WHERE next_check_at IS NULL")
                .fetch_all(pool)
                .await?
        });
        let mut scheduled = 0;
        for id in ids {
            // `IS NULL` again: another server may have scheduled it meanwhile; keep its time.
            scheduled += on_pool!(&self.db, pool => {
                sqlx::query("UPDATE credentials SET next_check_at = $2 WHERE id = $1 AND next_check_at IS NULL")
                    .bind(&id)
                    .bind(now_ms.saturating_add(delay_ms()))
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(scheduled)
    }

    /// Claims up to `limit` credentials due at `now_ms`, moving their next check to
    /// `lease_until_ms` so no other server takes them (and, should this one stop mid-check, they
    /// are checked again then). Oldest due first.
    #[instrument(skip_all)]
    pub async fn claim_due_rechecks(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedRecheck>, StoreError> {
        let claimed = match &self.db {
            // SQLite runs one writer at a time: the UPDATE is atomic as it is.
            Db::Sqlite(pool) => {
                sqlx::query_as(claim_sql!("", ""))
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
            // Rows another server is claiming are skipped, and the due time is checked again on
            // the row being updated, so one claim wins.
            Db::Postgres(pool) => {
                sqlx::query_as(claim_sql!(
                    " FOR UPDATE SKIP LOCKED",
                    " AND next_check_at <= $1"
                ))
                .bind(now_ms)
                .bind(lease_until_ms)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(claimed)
    }

    /// Records a re-check run: its time and outcome, the count of runs in a row that could not
    /// check (reset by a definitive answer), and when the next one is due. Returns that count.
    /// When the count reaches `signal_at`, the `credential.recheck_failed` event is raised in the
    /// same transaction (with `reason`), so a crash cannot record the streak without its event.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id, outcome = %run.outcome))]
    pub async fn record_recheck(
        &self,
        org: &OrgId,
        id: &CredentialId,
        run: RecheckRun<'_>,
    ) -> Result<u32, StoreError> {
        let failures: Option<(i64, VerificationStatus)> = in_transaction!(&self.db, tx => {
            let row: Option<(i64, VerificationStatus)> = sqlx::query_as(
                "UPDATE credentials SET last_checked_at = $3, last_check_outcome = $4, \
                 recheck_failures = CASE WHEN $4 = 'could_not_check' THEN recheck_failures + 1 ELSE 0 END, \
                 next_check_at = $5 WHERE org_id = $1 AND id = $2 \
                 RETURNING recheck_failures, verification_status",
            )
            .bind(org)
            .bind(id)
            .bind(run.checked_at_ms)
            .bind(run.outcome)
            .bind(run.next_check_at_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((count, status)) = &row
                && *count == i64::from(run.signal_at)
            {
                let event = CredentialEvent {
                    org,
                    credential_id: id,
                    kind: CredentialEventKind::RecheckFailed,
                    status: *status,
                    error_code: None,
                    reason: Some(run.reason.to_owned()),
                };
                EventTx::record_credential_event(&mut *tx, &event, run.checked_at_ms).await?;
            }
            row
        });
        let (failures, _) = failures.ok_or(StoreError::NotFound { what: "credential" })?;
        Ok(u32::try_from(failures).unwrap_or(u32::MAX))
    }

    /// Unschedules the next re-check of a credential changed or verified by hand, so the
    /// scheduler sets it a whole interval from now.
    #[instrument(skip_all, fields(org_id = %org, credential_id = %id))]
    pub async fn reschedule_recheck(
        &self,
        org: &OrgId,
        id: &CredentialId,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query("UPDATE credentials SET next_check_at = NULL WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
