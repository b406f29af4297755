//! The sending quota's limits and its ledger of queued texts, counted in the database so every
//! `serve` process sharing it counts the same texts.

use tracing::instrument;

use super::backend::{in_transaction, on_pool};
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

    fn from_stored(per_minute: Option<i64>, per_day: Option<i64>) -> Self {
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
    fn length_ms(self) -> i64 {
        match self {
            Self::Minute => MINUTE_MS,
            Self::Day => QUOTA_DAY_MS,
        }
    }
}

/// The answer to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted; `ledger_id` takes it back if nothing ends up queued.
    Granted { ledger_id: i64 },
    /// Over a limit: nothing was counted.
    Refused {
        window: QuotaWindow,
        limit: u32,
        used: u32,
        /// Milliseconds until enough earlier texts leave the window for this request to fit; the
        /// whole window when the request alone is larger than the limit.
        retry_after_ms: i64,
    },
}

/// Sums of the texts in both windows.
#[derive(sqlx::FromRow)]
struct Usage {
    day: i64,
    minute: i64,
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

    /// Counts `texts` against the organization's limits at `now_ms`, or says which limit refuses
    /// them and when they would fit. One transaction holding the organization's quota row, so two
    /// processes reserving at once are counted one after the other.
    #[instrument(skip_all, fields(org_id = %org, texts))]
    pub async fn reserve_texts(
        &self,
        org: &OrgId,
        texts: u32,
        now_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let texts = i64::from(texts);
        let day_start = now_ms - QUOTA_DAY_MS;
        let minute_start = now_ms - MINUTE_MS;
        let reservation = in_transaction!(&self.db, tx => {
            // The row lock (PostgreSQL; SQLite's write lock is already held) that orders reservations.
            let limits: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                "INSERT INTO sending_quotas (org_id) SELECT id FROM organizations WHERE id = $1 \
                 ON CONFLICT (org_id) DO UPDATE SET texts_per_minute = sending_quotas.texts_per_minute \
                 RETURNING texts_per_minute, texts_per_day",
            )
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((minute, day)) = limits else {
                return Err(StoreError::NotFound { what: "organization" });
            };
            let limits = QuotaLimits::from_stored(minute, day);
            sqlx::query("DELETE FROM sending_quota_usage WHERE org_id = $1 AND at <= $2")
                .bind(org)
                .bind(day_start)
                .execute(&mut *tx)
                .await?;
            let usage: Usage = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(texts), 0) AS BIGINT) AS day, \
                 CAST(COALESCE(SUM(CASE WHEN at > $2 THEN texts ELSE 0 END), 0) AS BIGINT) AS minute \
                 FROM sending_quota_usage WHERE org_id = $1 AND at > $3",
            )
            .bind(org)
            .bind(minute_start)
            .bind(day_start)
            .fetch_one(&mut *tx)
            .await?;
            let over = [
                (QuotaWindow::Day, limits.texts_per_day, usage.day, day_start),
                (QuotaWindow::Minute, limits.texts_per_minute, usage.minute, minute_start),
            ]
            .into_iter()
            .find(|(_, limit, used, _)| used + texts > i64::from(*limit));
            match over {
                Some((window, limit, used, start)) => {
                    let entries: Vec<(i64, i64)> = sqlx::query_as(
                        "SELECT at, texts FROM sending_quota_usage \
                         WHERE org_id = $1 AND at > $2 ORDER BY at",
                    )
                    .bind(org)
                    .bind(start)
                    .fetch_all(&mut *tx)
                    .await?;
                    Reservation::Refused {
                        window,
                        limit,
                        used: u32::try_from(used).unwrap_or(u32::MAX),
                        retry_after_ms: wait_until_fits(
                            &entries,
                            used,
                            texts,
                            i64::from(limit),
                            window.length_ms(),
                            now_ms,
                        ),
                    }
                }
                None => {
                    let (ledger_id,): (i64,) = sqlx::query_as(
                        "INSERT INTO sending_quota_usage (org_id, at, texts) VALUES ($1, $2, $3) \
                         RETURNING id",
                    )
                    .bind(org)
                    .bind(now_ms)
                    .bind(texts)
                    .fetch_one(&mut *tx)
                    .await?;
                    Reservation::Granted { ledger_id }
                }
            }
        });
        Ok(reservation)
    }

    /// Takes back a reservation whose texts were not queued (a replayed or refused request).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn release_texts(&self, org: &OrgId, ledger_id: i64) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM sending_quota_usage WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(ledger_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

/// Milliseconds until enough of `entries` (the window's texts, oldest first, `used` in all) leave
/// the window of `window_ms` for `wanted` more texts to fit under `limit`.
fn wait_until_fits(
    entries: &[(i64, i64)],
    used: i64,
    wanted: i64,
    limit: i64,
    window_ms: i64,
    now_ms: i64,
) -> i64 {
    if wanted > limit {
        return window_ms;
    }
    let mut left = used;
    for (at, texts) in entries {
        left -= texts;
        if left + wanted <= limit {
            return (at + window_ms - now_ms).max(1);
        }
    }
    window_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_ends_when_the_oldest_texts_that_make_room_leave_the_window() {
        let now = 100_000;
        // 3 texts at 50 s, 2 at 70 s: 5 used of 5; one more fits once the first entry leaves.
        let entries = [(50_000, 3), (70_000, 2)];
        assert_eq!(wait_until_fits(&entries, 5, 1, 5, MINUTE_MS, now), 10_000);
        // 4 more fit only once both entries left.
        assert_eq!(wait_until_fits(&entries, 5, 4, 5, MINUTE_MS, now), 30_000);
    }

    #[test]
    fn a_request_larger_than_the_limit_waits_the_whole_window() {
        assert_eq!(wait_until_fits(&[], 0, 21, 20, MINUTE_MS, 0), MINUTE_MS);
    }

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
