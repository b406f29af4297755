//! Appointments: a booking is held here (status `booking`) before Google is asked, settled when
//! Google answers, and picked up again by whoever holds its lease after a lost answer or a crash.
//!
//! No slot is given twice: a new hold is checked against the organization's other holds inside
//! one write transaction that first locks the organization's row on PostgreSQL (SQLite has one
//! writer at a time already), so two `serve` processes on one database serialise per clinic.

use tracing::instrument;

use sqlx::{Postgres, Transaction};

use super::backend::{BeginWrite, on_pool};
use super::text_enum::text_enum;
use super::{Store, StoreError};
use crate::ids::{AppointmentId, CredentialId, OrgId};

text_enum!(
    /// Where an appointment is in its life.
    AppointmentStatus, "appointment status" {
        /// Held in the database; the Google event may or may not exist yet.
        Booking => "booking",
        Booked => "booked",
        /// Not booked, and never will be (`failure_code` says why); holds no slot.
        Failed => "failed",
        /// Cancel asked; the Google event may or may not be deleted yet.
        Canceling => "canceling",
        Canceled => "canceled",
    }
);

/// An appointment as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Appointment {
    pub id: AppointmentId,
    pub org_id: OrgId,
    pub credential_id: CredentialId,
    pub calendar_id: String,
    pub status: AppointmentStatus,
    /// Milliseconds since the epoch.
    pub start_at: i64,
    pub end_at: i64,
    pub timezone: String,
    pub lead_name: String,
    pub lead_phone: String,
    pub lead_reason: Option<String>,
    pub notes: Option<String>,
    pub google_event_id: Option<String>,
    pub html_link: Option<String>,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub fingerprint: Option<String>,
    /// Bumped by every new holder of the lease; writes name the fence they hold.
    pub fence: i64,
    /// Times the reconciler took it up since the request (a cancel's count starts at 0).
    pub attempts: i64,
    pub created_at: i64,
}

macro_rules! columns {
    () => {
        "id, org_id, credential_id, calendar_id, status, start_at, end_at, timezone, \
         lead_name, lead_phone, lead_reason, notes, google_event_id, html_link, failure_code, \
         failure_reason, fingerprint, fence, attempts, created_at"
    };
}

/// Statuses that hold their slot.
macro_rules! holding {
    () => {
        "('booking', 'booked', 'canceling')"
    };
}

// After the macros above, which it uses.
mod leases;

/// A booking to hold, already validated.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub id: AppointmentId,
    pub credential_id: CredentialId,
    pub calendar_id: String,
    pub start_at: i64,
    pub end_at: i64,
    /// The buffer kept on both sides, in milliseconds.
    pub buffer_ms: i64,
    pub timezone: String,
    pub lead_name: String,
    pub lead_phone: String,
    pub lead_reason: Option<String>,
    pub notes: Option<String>,
}

/// The `Idempotency-Key` of a booking request and the fingerprint of what it asked.
#[derive(Debug, Clone)]
pub struct BookingKey<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
    /// Keys older than this (milliseconds since the epoch) are forgotten and may be reused.
    pub remembered_since: i64,
}

/// What [`Store::hold_appointment`] did.
#[derive(Debug, Clone)]
pub enum Held {
    /// Held in `booking`, leased to the caller: book it at Google now.
    Created(Appointment),
    /// The key was used before for the same request: that appointment.
    Replayed(Appointment),
    /// The key was used before for another request.
    KeyReused,
    /// Another appointment holds (part of) this time.
    SlotTaken,
}

/// The lease a caller takes on an unsettled appointment.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: i64,
}

/// Serialises the bookings of one organization inside a write transaction.
trait LockOrg {
    async fn lock_org(&mut self, org: &OrgId) -> Result<(), StoreError>;
}

impl LockOrg for super::backend::SqliteWrite {
    /// `BEGIN IMMEDIATE` already holds SQLite's one write lock for the whole transaction.
    async fn lock_org(&mut self, _org: &OrgId) -> Result<(), StoreError> {
        Ok(())
    }
}

impl LockOrg for Transaction<'static, Postgres> {
    async fn lock_org(&mut self, org: &OrgId) -> Result<(), StoreError> {
        // `NO KEY UPDATE` serialises bookings of one clinic without blocking the foreign-key
        // checks (`KEY SHARE`) of every other insert that names the organization.
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1 FOR NO KEY UPDATE")
                .bind(org)
                .fetch_optional(&mut **self)
                .await?;
        found.map(drop).ok_or(StoreError::NotFound {
            what: "organization",
        })
    }
}

impl Store {
    /// Holds `new` for `org` unless the key was used before or another appointment holds an
    /// overlapping time (each side's own buffer counted). Runs in one write transaction under a
    /// per-organization lock.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn hold_appointment(
        &self,
        org: &OrgId,
        new: &NewAppointment,
        key: Option<BookingKey<'_>>,
        lease: Lease<'_>,
        now: i64,
    ) -> Result<Held, StoreError> {
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            tx.lock_org(org).await?;
            if let Some(key) = &key {
                let select = concat!(
                    "SELECT ", columns!(), " FROM appointments WHERE org_id = $1 AND idem_key = $2"
                );
                let earlier: Option<Appointment> = sqlx::query_as(select)
                    .bind(org)
                    .bind(key.key)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(earlier) = earlier {
                    if earlier.created_at >= key.remembered_since {
                        tx.rollback().await?;
                        return Ok(if earlier.fingerprint.as_deref() == Some(key.fingerprint) {
                            Held::Replayed(earlier)
                        } else {
                            Held::KeyReused
                        });
                    }
                    // Forgotten after its lifetime, as message keys are: the key is free again.
                    sqlx::query("UPDATE appointments SET idem_key = NULL WHERE org_id = $1 AND id = $2")
                        .bind(org)
                        .bind(&earlier.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let hold_from = new.start_at - new.buffer_ms;
            let hold_until = new.end_at + new.buffer_ms;
            let clash = concat!(
                "SELECT id FROM appointments WHERE org_id = $1 AND status IN ", holding!(),
                " AND ((hold_from < $3 AND $2 < hold_until) OR (start_at < $5 AND $4 < end_at)) LIMIT 1"
            );
            let taken: Option<String> = sqlx::query_scalar(clash)
                .bind(org)
                .bind(new.start_at)
                .bind(new.end_at)
                .bind(hold_from)
                .bind(hold_until)
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                tx.rollback().await?;
                return Ok(Held::SlotTaken);
            }
            // One statement inserts and reads back: the lock above is held for as few round
            // trips as possible, since every booking of the clinic waits for it.
            let held: Option<Appointment> = sqlx::query_as(concat!(
                "INSERT INTO appointments (id, org_id, credential_id, calendar_id, status, start_at, \
                   end_at, hold_from, hold_until, timezone, lead_name, lead_phone, lead_reason, notes, \
                   idem_key, fingerprint, lease_owner, lease_until, fence, created_at, updated_at) \
                 SELECT $1, id, $2, $3, 'booking', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                   $15, $16, 1, $17, $17 FROM organizations WHERE id = $18 RETURNING ",
                columns!()
            ))
            .bind(&new.id)
            .bind(&new.credential_id)
            .bind(&new.calendar_id)
            .bind(new.start_at)
            .bind(new.end_at)
            .bind(hold_from)
            .bind(hold_until)
            .bind(&new.timezone)
            .bind(&new.lead_name)
            .bind(&new.lead_phone)
            .bind(&new.lead_reason)
            .bind(&new.notes)
            .bind(key.as_ref().map(|k| k.key))
            .bind(key.as_ref().map(|k| k.fingerprint))
            .bind(lease.owner)
            .bind(lease.until)
            .bind(now)
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(held) = held else {
                return Err(StoreError::NotFound { what: "organization" });
            };
            tx.commit().await?;
            Ok(Held::Created(held))
        })
    }

    /// The appointment `id` of `org`.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_appointment(
        &self,
        org: &OrgId,
        id: &AppointmentId,
    ) -> Result<Appointment, StoreError> {
        let select = concat!(
            "SELECT ",
            columns!(),
            " FROM appointments WHERE org_id = $1 AND id = $2"
        );
        let found: Option<Appointment> = on_pool!(self.db(), pool => {
            sqlx::query_as(select).bind(org).bind(id).fetch_optional(pool).await?
        });
        found.ok_or(StoreError::NotFound {
            what: "appointment",
        })
    }

    /// `org`'s appointments starting in `[from, to)`, earliest first, at most `limit`.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn list_appointments(
        &self,
        org: &OrgId,
        from: i64,
        to: i64,
        limit: u32,
    ) -> Result<Vec<Appointment>, StoreError> {
        let select = concat!(
            "SELECT ",
            columns!(),
            " FROM appointments WHERE org_id = $1 AND start_at >= $2 \
             AND start_at < $3 ORDER BY start_at, id LIMIT $4"
        );
        Ok(on_pool!(self.db(), pool => {
            sqlx::query_as(select)
                .bind(org)
                .bind(from)
                .bind(to)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }))
    }

    /// The times `org`'s appointments hold (their own time, without buffers) that overlap
    /// `[from, to)`, as `(start, end)` milliseconds: busy time Google may not show yet.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn held_times(
        &self,
        org: &OrgId,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let select = concat!(
            "SELECT start_at, end_at FROM appointments WHERE org_id = $1 AND status IN ",
            holding!(),
            " AND start_at < $3 AND $2 < end_at ORDER BY start_at"
        );
        Ok(on_pool!(self.db(), pool => {
            sqlx::query_as(select).bind(org).bind(from).bind(to).fetch_all(pool).await?
        }))
    }
}
