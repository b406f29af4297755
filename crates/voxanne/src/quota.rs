//! The per-organization sending quota: texts per minute and per rolling day, counted in the
//! database in the transaction that queues them, so a runaway caller (or a hot lead naming many numbers)
//! cannot run up the clinic's Twilio bill, whichever `serve` process it reaches.

use crate::activity::{self, ActivityError, AuditAction};
use crate::field::FieldError;
use crate::services::Services;
use crate::store::StoreError;
pub use crate::store::{QuotaLimits, QuotaLimitsPatch, QuotaRefusal, QuotaWindow};
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

/// A send the quota refused (counted in the transaction that would have queued it, see
/// `Outbox::enqueue_within_quota`), in the words the front doors answer with.
pub fn exceeded(refusal: QuotaRefusal, texts: usize) -> QuotaExceeded {
    let retry_after_secs = u64::try_from((refusal.retry_after_ms.max(1) + 999) / 1000).unwrap_or(1);
    QuotaExceeded {
        window: refusal.window,
        limit: refusal.limit,
        used: refusal.used,
        requested: u32::try_from(texts).unwrap_or(u32::MAX),
        retry_after_secs,
    }
}
