//! The leases on unsettled appointments: settling one, putting off its next try, taking it to
//! cancel, and the reconciler's claim on those nobody alive holds.

use tracing::instrument;

use super::super::backend::on_pool;
use super::super::{Store, StoreError};
use super::{Appointment, AppointmentStatus, Lease};
use crate::ids::{AppointmentId, OrgId};

impl Store {
    /// Settles an appointment the caller holds at `fence`: `status` with what Google said.
    /// Returns whether the write happened (a lost lease writes nothing).
    #[instrument(skip_all, fields(org_id = %org))]
    #[allow(clippy::too_many_arguments)]
    pub async fn settle_appointment(
        &self,
        org: &OrgId,
        id: &AppointmentId,
        fence: i64,
        status: AppointmentStatus,
        event: Option<(&str, Option<&str>)>,
        failure: Option<(&str, &str)>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.db(), pool => {
            sqlx::query(
                "UPDATE appointments SET status = $4, \
                   google_event_id = COALESCE($5, google_event_id), html_link = COALESCE($6, html_link), \
                   failure_code = $7, failure_reason = $8, lease_owner = NULL, lease_until = 0, \
                   updated_at = $9 \
                 WHERE org_id = $1 AND id = $2 AND fence = $3",
            )
            .bind(org)
            .bind(id)
            .bind(fence)
            .bind(status.as_str())
            .bind(event.map(|e| e.0))
            .bind(event.and_then(|e| e.1))
            .bind(failure.map(|f| f.0))
            .bind(failure.map(|f| f.1))
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Puts off the next try at an appointment the caller holds at `fence` until `until` (the
    /// lease is kept that long, so the reconciler leaves it alone), noting why this try failed.
    /// Returns whether the write happened.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn defer_appointment(
        &self,
        org: &OrgId,
        id: &AppointmentId,
        fence: i64,
        until: i64,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.db(), pool => {
            sqlx::query(
                "UPDATE appointments SET lease_until = $4, failure_reason = $5, updated_at = $6 \
                 WHERE org_id = $1 AND id = $2 AND fence = $3",
            )
            .bind(org)
            .bind(id)
            .bind(fence)
            .bind(until)
            .bind(reason)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Takes the lease of `org`'s appointment `id` to cancel it: `booked` (or a `canceling` whose
    /// lease is free) becomes `canceling`, leased to the caller. Returns the appointment as it is
    /// after, leased or not (the caller looks at its status and fence).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn begin_cancel(
        &self,
        org: &OrgId,
        id: &AppointmentId,
        lease: Lease<'_>,
        now: i64,
    ) -> Result<(Appointment, bool), StoreError> {
        let taken = on_pool!(self.db(), pool => {
            sqlx::query(
                "UPDATE appointments SET status = 'canceling', lease_owner = $3, lease_until = $4, \
                   fence = fence + 1, attempts = 0, updated_at = $5 \
                 WHERE org_id = $1 AND id = $2 \
                   AND (status = 'booked' OR (status = 'canceling' AND lease_until <= $5))",
            )
            .bind(org)
            .bind(id)
            .bind(lease.owner)
            .bind(lease.until)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok((self.get_appointment(org, id).await?, taken == 1))
    }

    /// Leases up to `limit` unsettled appointments (`booking`, `canceling`) whose lease ran out
    /// or whose holder is another process no longer alive (no heartbeat in `dispatch_workers`
    /// since `alive_since`), for the reconciler. Each comes back with its new fence. A request of
    /// this very process keeps its lease until it runs out, heartbeat or not.
    #[instrument(skip_all)]
    pub async fn claim_unsettled(
        &self,
        lease: Lease<'_>,
        alive_since: i64,
        now: i64,
        limit: u32,
    ) -> Result<Vec<Appointment>, StoreError> {
        macro_rules! free {
            () => {
                "status IN ('booking', 'canceling') AND (lease_until <= $1 OR lease_owner IS NULL \
                 OR (lease_owner <> $3 AND lease_owner NOT IN \
                     (SELECT id FROM dispatch_workers WHERE heartbeat_at >= $2)))"
            };
        }
        let update = concat!(
            "UPDATE appointments SET lease_owner = $3, lease_until = $4, fence = fence + 1, \
               attempts = attempts + 1, updated_at = $1 \
             WHERE id IN (SELECT id FROM appointments WHERE ",
            free!(),
            " ORDER BY created_at LIMIT $5) AND ",
            free!(),
            " RETURNING ",
            columns!()
        );
        Ok(on_pool!(self.db(), pool => {
            sqlx::query_as(update)
                .bind(now)
                .bind(alive_since)
                .bind(lease.owner)
                .bind(lease.until)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }))
    }
}
