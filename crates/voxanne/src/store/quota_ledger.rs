//! The sending quota's ledger: the texts each organization queued, counted in the database so
//! every `serve` process sharing it counts the same texts.
//!
//! Texts are counted inside the transaction that queues them ([`QuotaTx::count_texts`]): the
//! outbox's group commit counts every request of a group with one lock of each organization's
//! quota row, one sum of its ledger and one insert, and a request that does not fit is refused
//! while the others in its group are queued. A refused or replayed request rolls back with its
//! messages, so there is nothing to take back.

use sqlx::{Postgres, Sqlite};
use tracing::instrument;

use super::backend::{in_transaction, on_pool};
use super::quota::{MINUTE_MS, QUOTA_DAY_MS, QuotaLimits, QuotaWindow};
use super::{Store, StoreError};
use crate::ids::OrgId;

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

/// Why a request's texts were not counted: which limit, and when they would fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRefusal {
    pub window: QuotaWindow,
    pub limit: u32,
    pub used: u32,
    /// Milliseconds until enough earlier texts leave the window for the request to fit; the
    /// whole window when the request alone is larger than the limit.
    pub retry_after_ms: i64,
}

/// One request's texts to count, at the time it was made.
#[derive(Debug, Clone, Copy)]
pub struct QuotaAsk {
    pub texts: u32,
    pub now_ms: i64,
}

/// What counting a group of requests decided.
#[derive(Debug, Default)]
pub(crate) struct Counted {
    /// One per ask, in order: `None` when counted, the refusal otherwise.
    pub refusals: Vec<Option<QuotaRefusal>>,
    /// The ledger rows written for the counted asks (in no particular order).
    pub ledger_ids: Vec<i64>,
}

/// Sums of the texts in both windows.
#[derive(sqlx::FromRow)]
struct Usage {
    day: i64,
    minute: i64,
}

/// Takes the organization's quota row lock (PostgreSQL; SQLite's write lock is already held) that
/// orders counts across processes, and reads its limits. No row: no such organization.
const LOCK_LIMITS: &str = "INSERT INTO sending_quotas (org_id) SELECT id FROM organizations WHERE id = $1 \
     ON CONFLICT (org_id) DO UPDATE SET texts_per_minute = sending_quotas.texts_per_minute \
     RETURNING texts_per_minute, texts_per_day";
const FORGET_OLD: &str = "DELETE FROM sending_quota_usage WHERE org_id = $1 AND at <= $2";
const SUM_USAGE: &str = "SELECT CAST(COALESCE(SUM(texts), 0) AS BIGINT) AS day, \
     CAST(COALESCE(SUM(CASE WHEN at > $2 THEN texts ELSE 0 END), 0) AS BIGINT) AS minute \
     FROM sending_quota_usage WHERE org_id = $1 AND at > $3";
const DAY_ENTRIES: &str =
    "SELECT at, texts FROM sending_quota_usage WHERE org_id = $1 AND at > $2 ORDER BY at";

/// Counting texts inside the caller's write transaction, on either backend's connection.
pub(crate) trait QuotaTx {
    /// Counts `asks` of `org` in order against its limits: each ask that fits is counted (a
    /// ledger row at its time), each that does not is refused and counts nothing. The windows
    /// end at the earliest ask's time, so a group is judged at least as strictly as its
    /// requests one by one. `None`: no such organization (nothing written).
    async fn count_texts(
        &mut self,
        org: &OrgId,
        asks: &[QuotaAsk],
    ) -> Result<Option<Counted>, sqlx::Error>;
}

macro_rules! quota_tx {
    ($conn:ty, $db:ty) => {
        impl QuotaTx for $conn {
            async fn count_texts(
                &mut self,
                org: &OrgId,
                asks: &[QuotaAsk],
            ) -> Result<Option<Counted>, sqlx::Error> {
                let Some(first) = asks.iter().map(|ask| ask.now_ms).min() else {
                    return Ok(Some(Counted::default()));
                };
                let limits: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(LOCK_LIMITS)
                    .bind(org)
                    .fetch_optional(&mut *self)
                    .await?;
                let Some((minute, day)) = limits else {
                    return Ok(None);
                };
                let limits = QuotaLimits::from_stored(minute, day);
                let day_start = first - QUOTA_DAY_MS;
                let minute_start = first - MINUTE_MS;
                sqlx::query(FORGET_OLD)
                    .bind(org)
                    .bind(day_start)
                    .execute(&mut *self)
                    .await?;
                let usage: Usage = sqlx::query_as(SUM_USAGE)
                    .bind(org)
                    .bind(minute_start)
                    .bind(day_start)
                    .fetch_one(&mut *self)
                    .await?;
                let mut tally = Tally::new(limits, usage, day_start, minute_start);
                let mut refusals = Vec::with_capacity(asks.len());
                for ask in asks {
                    let refusal = match tally.over(ask) {
                        None => {
                            tally.count(ask);
                            None
                        }
                        Some((window, limit, used)) => {
                            if tally.stored.is_none() {
                                // Read only when something is refused: the wait needs the entries.
                                tally.stored = Some(
                                    sqlx::query_as(DAY_ENTRIES)
                                        .bind(org)
                                        .bind(day_start)
                                        .fetch_all(&mut *self)
                                        .await?,
                                );
                            }
                            Some(tally.refusal(ask, window, limit, used))
                        }
                    };
                    refusals.push(refusal);
                }
                let ledger_ids = if tally.granted.is_empty() {
                    Vec::new()
                } else {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO sending_quota_usage (org_id, at, texts) ",
                    );
                    insert.push_values(&tally.granted, |mut row, (at, texts)| {
                        row.push_bind(org).push_bind(*at).push_bind(*texts);
                    });
                    insert.push(" RETURNING id");
                    insert
                        .build_query_scalar::<i64>()
                        .fetch_all(&mut *self)
                        .await?
                };
                Ok(Some(Counted {
                    refusals,
                    ledger_ids,
                }))
            }
        }
    };
}

quota_tx!(sqlx::SqliteConnection, Sqlite);
quota_tx!(sqlx::PgConnection, Postgres);

/// The running count of one organization's windows while a group of asks is judged.
struct Tally {
    limits: QuotaLimits,
    day: i64,
    minute: i64,
    day_start: i64,
    minute_start: i64,
    /// The asks counted so far: `(at, texts)`.
    granted: Vec<(i64, i64)>,
    /// The ledger's entries of the day, oldest first (read at the first refusal).
    stored: Option<Vec<(i64, i64)>>,
}

impl Tally {
    fn new(limits: QuotaLimits, usage: Usage, day_start: i64, minute_start: i64) -> Self {
        Self {
            limits,
            day: usage.day,
            minute: usage.minute,
            day_start,
            minute_start,
            granted: Vec::new(),
            stored: None,
        }
    }

    /// The first window `ask` does not fit in: `(window, limit, used)`.
    fn over(&self, ask: &QuotaAsk) -> Option<(QuotaWindow, u32, i64)> {
        let texts = i64::from(ask.texts);
        [
            (QuotaWindow::Day, self.limits.texts_per_day, self.day),
            (
                QuotaWindow::Minute,
                self.limits.texts_per_minute,
                self.minute,
            ),
        ]
        .into_iter()
        .find(|(_, limit, used)| used + texts > i64::from(*limit))
    }

    fn count(&mut self, ask: &QuotaAsk) {
        let texts = i64::from(ask.texts);
        self.day += texts;
        self.minute += texts;
        self.granted.push((ask.now_ms, texts));
    }

    fn refusal(&self, ask: &QuotaAsk, window: QuotaWindow, limit: u32, used: i64) -> QuotaRefusal {
        let start = match window {
            QuotaWindow::Day => self.day_start,
            QuotaWindow::Minute => self.minute_start,
        };
        let mut entries: Vec<(i64, i64)> = self
            .stored
            .iter()
            .flatten()
            .chain(&self.granted)
            .filter(|(at, _)| *at > start)
            .copied()
            .collect();
        entries.sort_unstable();
        QuotaRefusal {
            window,
            limit,
            used: u32::try_from(used).unwrap_or(u32::MAX),
            retry_after_ms: wait_until_fits(
                &entries,
                used,
                i64::from(ask.texts),
                i64::from(limit),
                window.length_ms(),
                ask.now_ms,
            ),
        }
    }
}

impl Store {
    /// Counts `texts` against the organization's limits at `now_ms` in a transaction of its own,
    /// or says which limit refuses them and when they would fit. Sends count inside their own
    /// transaction instead (the outbox's `enqueue_within_quota`); this is the same count alone.
    #[instrument(skip_all, fields(org_id = %org, texts))]
    pub async fn reserve_texts(
        &self,
        org: &OrgId,
        texts: u32,
        now_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let ask = QuotaAsk { texts, now_ms };
        let counted = in_transaction!(&self.db, tx => {
            QuotaTx::count_texts(&mut *tx, org, &[ask]).await?
        });
        let counted = counted.ok_or(StoreError::NotFound {
            what: "organization",
        })?;
        match (counted.refusals.first(), counted.ledger_ids.first()) {
            (Some(Some(refused)), _) => Ok(Reservation::Refused {
                window: refused.window,
                limit: refused.limit,
                used: refused.used,
                retry_after_ms: refused.retry_after_ms,
            }),
            (_, Some(ledger_id)) => Ok(Reservation::Granted {
                ledger_id: *ledger_id,
            }),
            _ => Err(StoreError::NotFound {
                what: "quota ledger entry",
            }),
        }
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
    fn asks_counted_earlier_in_a_group_fill_the_window_for_the_later_ones() {
        let limits = QuotaLimits {
            texts_per_minute: 3,
            texts_per_day: 100,
        };
        let mut tally = Tally::new(limits, Usage { day: 1, minute: 1 }, 0, 40_000);
        let ask = |texts, now_ms| QuotaAsk { texts, now_ms };

        assert_eq!(tally.over(&ask(2, 100_000)), None);
        tally.count(&ask(2, 100_000));
        let (window, limit, used) = tally.over(&ask(1, 100_001)).unwrap();
        tally.stored = Some(vec![(50_000, 1)]);
        let refusal = tally.refusal(&ask(1, 100_001), window, limit, used);

        assert_eq!((window, limit, used), (QuotaWindow::Minute, 3, 3));
        // The stored text at 50 s leaves the minute first: then one more fits.
        assert_eq!(refusal.retry_after_ms, 50_000 + MINUTE_MS - 100_001);
    }
}
