//! The sending quota's limits and its ledger of queued texts, counted in the database so every
//! `serve` process sharing it counts the same texts.

use tracing::instrument;

use super::backend::on_pool;
use super::{Store, StoreError};
use crate::ids::OrgId;

/// The minute window, in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// The rolling day window, in milliseconds.
pub const QUOTA_DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// How many texts an organization may queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Texts in any 60 seconds.
    pub texts_per_minute: u32,
    /// Texts in any 24 hours.
    pub texts_per_day: u32,
}

impl QuotaLimits {
    /// What an organization gets until it sets its own: enough for a busy clinic's alerts and
    /// reminders, small enough that a runaway caller cannot spend a fortune on its Twilio bill.
    pub const DEFAULT: Self = Self {
        texts_per_minute: 120,
        texts_per_day: 5_000,
    };

    pub(super) fn from_stored(per_minute: Option<i64>, per_day: Option<i64>) -> Self {
        let stored = |value: Option<i64>, default: u32| {
            value
                .and_then(|value| u32::try_from(value).ok())
                .unwrap_or(default)
        };
        Self {
            texts_per_minute: stored(per_minute, Self::DEFAULT.texts_per_minute),
            texts_per_day: stored(per_day, Self::DEFAULT.texts_per_day),
        }
    }
}

/// A change to the limits: `None` keeps the stored value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimitsPatch {
    pub texts_per_minute: Option<u32>,
    pub texts_per_day: Option<u32>,
}

/// Which limit a refusal hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaWindow {
    Minute,
    Day,
}

impl QuotaWindow {
    pub(super) fn length_ms(self) -> i64 {
        match self {
            Self::Minute => MINUTE_MS,
            Self::Day => QUOTA_DAY_MS,
        }
    }
}

impl Store {
    /// The organization's limits (the defaults for any it has not set).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_quota_limits(&self, org: &OrgId) -> Result<QuotaLimits, StoreError> {
        let row: Option<(Option<i64>, Option<i64>)> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT texts_per_minute, texts_per_day FROM sending_quotas WHERE org_id = $1",
            )
            .bind(org)
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some((minute, day)) => Ok(QuotaLimits::from_stored(minute, day)),
            // No row yet: the defaults, once we know the organization exists.
            None => self
                .get_organization(org)
                .await
                .map(|_| QuotaLimits::DEFAULT),
        }
    }

    /// Changes the fields `patch` names and keeps the others.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn set_quota_limits(
        &self,
        org: &OrgId,
        patch: QuotaLimitsPatch,
    ) -> Result<QuotaLimits, StoreError> {
        let minute = patch.texts_per_minute.map(i64::from);
        let day = patch.texts_per_day.map(i64::from);
        let row: Option<(Option<i64>, Option<i64>)> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "INSERT INTO sending_quotas (org_id, texts_per_minute, texts_per_day) \
                 SELECT id, $2, $3 FROM organizations WHERE id = $1 \
                 ON CONFLICT (org_id) DO UPDATE SET \
                 texts_per_minute = COALESCE($2, sending_quotas.texts_per_minute), \
                 texts_per_day = COALESCE($3, sending_quotas.texts_per_day) \
                 RETURNING texts_per_minute, texts_per_day",
            )
            .bind(org)
            .bind(minute)
            .bind(day)
            .fetch_optional(pool)
            .await?
        });
        let (minute, day) = row.ok_or(StoreError::NotFound {
            what: "organization",
        })?;
        Ok(QuotaLimits::from_stored(minute, day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_limits_read_as_the_defaults() {
        assert_eq!(QuotaLimits::from_stored(None, None), QuotaLimits::DEFAULT);
        assert_eq!(
            QuotaLimits::from_stored(Some(7), None),
            QuotaLimits {
                texts_per_minute: 7,
                ..QuotaLimits::DEFAULT
            }
        );
    }
}
