//! The per-organization sending quota: texts per minute and per rolling day, counted in the
//! database before anything is queued, so a runaway caller (or a hot lead naming many numbers)
//! cannot run up the clinic's Twilio bill, whichever `serve` process it reaches.

use std::future::Future;

use crate::activity::{self, ActivityError, AuditAction};
use crate::field::FieldError;
use crate::ids::OrgId;
use crate::outbox::{Enqueued, OutboxError};
use crate::services::Services;
pub use crate::store::{QuotaLimits, QuotaLimitsPatch, QuotaWindow};
use crate::store::{Reservation, StoreError};
use crate::tenant::Caller;

/// Highest per-minute limit a clinic can set (Twilio queues a long-code number at 1 text/s anyway).
pub const MAX_TEXTS_PER_MINUTE: i64 = 10_000;
/// Highest per-day limit a clinic can set.
pub const MAX_TEXTS_PER_DAY: i64 = 1_000_000;

/// The limits as given: `None` keeps the stored value.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotaInput {
    pub texts_per_minute: Option<i64>,
    pub texts_per_day: Option<i64>,
}

/// Why the limits were not changed.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error("invalid field `{}`: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A send the quota refuses: nothing was queued.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the sending quota `{}` ({limit}) is used up: {used} queued, {requested} more asked", setting_name(self.window))]
pub struct QuotaExceeded {
    pub window: QuotaWindow,
    pub limit: u32,
    pub used: u32,
    pub requested: u32,
    /// Whole seconds until enough earlier texts leave the window (at least 1).
    pub retry_after_secs: u64,
}

impl QuotaExceeded {
    /// The setting that refused the send, as the API names it.
    pub fn window_setting(&self) -> &'static str {
        setting_name(self.window)
    }

    /// Whether this request alone is larger than the limit (waiting does not help).
    pub fn never_fits(&self) -> bool {
        self.requested > self.limit
    }
}

/// The API's name for a window's limit.
pub fn setting_name(window: QuotaWindow) -> &'static str {
    match window {
        QuotaWindow::Minute => "texts_per_minute",
        QuotaWindow::Day => "texts_per_day",
    }
}

/// Why a send was not counted.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error(transparent)]
    Exceeded(QuotaExceeded),
    #[error("counting the sending quota failed")]
    Store(#[source] StoreError),
}

/// Checks one bound, naming the field.
fn bounded(field: &str, value: i64, max: i64) -> Result<u32, FieldError> {
    match u32::try_from(value) {
        Ok(limit) if (1..=max).contains(&value) => Ok(limit),
        _ => Err(FieldError::new(
            "invalid_quota",
            field,
            format!("`{field}` must be a whole number from 1 to {max}; it is {value}"),
        )
        .with_hint("Set how many texts this organization may queue in that window.")),
    }
}

/// Checks every given field.
pub fn validated(input: QuotaInput) -> Result<QuotaLimitsPatch, FieldError> {
    Ok(QuotaLimitsPatch {
        texts_per_minute: input
            .texts_per_minute
            .map(|value| bounded("texts_per_minute", value, MAX_TEXTS_PER_MINUTE))
            .transpose()?,
        texts_per_day: input
            .texts_per_day
            .map(|value| bounded("texts_per_day", value, MAX_TEXTS_PER_DAY))
            .transpose()?,
    })
}

/// The organization's limits.
pub async fn limits(services: &Services, caller: &Caller) -> Result<QuotaLimits, StoreError> {
    services.store.get_quota_limits(caller.org()).await
}

/// Changes the limits `patch` names (checked with [`validated`]), recorded in the audit log.
pub async fn update(
    services: &Services,
    caller: &Caller,
    patch: QuotaLimitsPatch,
) -> Result<QuotaLimits, QuotaError> {
    let saved = services.store.set_quota_limits(caller.org(), patch).await?;
    let object = format!(
        "sending quota ({} texts per minute, {} per day)",
        saved.texts_per_minute, saved.texts_per_day
    );
    activity::record(
        &services.store,
        caller,
        AuditAction::SettingsUpdated,
        &object,
    )
    .await
    .map_err(|ActivityError::Store(err)| QuotaError::Store(err))?;
    Ok(saved)
}

/// Runs `enqueue` only once `texts` fit the organization's quota at `now_ms`, counting them; the
/// count is taken back when `enqueue` queued nothing (a replay, a reused key, an error).
pub async fn counted<F>(
    services: &Services,
    org: &OrgId,
    texts: usize,
    now_ms: i64,
    enqueue: F,
) -> Result<Result<Enqueued, OutboxError>, ReserveError>
where
    F: Future<Output = Result<Enqueued, OutboxError>>,
{
    let requested = u32::try_from(texts).unwrap_or(u32::MAX);
    let reservation = services
        .store
        .reserve_texts(org, requested, now_ms)
        .await
        .map_err(ReserveError::Store)?;
    let ledger_id = match reservation {
        Reservation::Granted { ledger_id } => ledger_id,
        Reservation::Refused {
            window,
            limit,
            used,
            retry_after_ms,
        } => {
            let retry_after_secs = u64::try_from((retry_after_ms.max(1) + 999) / 1000).unwrap_or(1);
            return Err(ReserveError::Exceeded(QuotaExceeded {
                window,
                limit,
                used,
                requested,
                retry_after_secs,
            }));
        }
    };
    let outcome = enqueue.await;
    if !matches!(outcome, Ok(Enqueued::Created))
        && let Err(err) = services.store.release_texts(org, ledger_id).await
    {
        // The texts stay counted until they leave the window: too strict for a while, never lax.
        tracing::warn!(org_id = %org, error = %err, "could not take back an unused quota count");
    }
    Ok(outcome)
}
