//! What a clinic's texts did over the last days, for the overview: how many were delivered,
//! failed or undelivered each day, the hot-lead alerts' median time from acceptance to delivered,
//! and how many are flagged for a person. Days are UTC days.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};

use crate::ids::OrgId;
use crate::services::Services;
use crate::store::{DAY_MS, StoreError};
use crate::tenant::Caller;

/// One day's outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayOutcomes {
    pub date: NaiveDate,
    pub delivered: u64,
    pub failed: u64,
    pub undelivered: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    /// Oldest first, ending today; every day present (zeros when quiet).
    pub days: Vec<DayOutcomes>,
    pub hot_lead_p50: Option<Duration>,
    pub flagged: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    #[error("the message counts could not be read")]
    Store(#[from] StoreError),
}

/// The `days` days up to and including `today`.
pub async fn last_days(
    services: &Services,
    caller: &Caller,
    today: NaiveDate,
    days: u32,
) -> Result<Traffic, TrafficError> {
    let first = today
        .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(today);
    let epoch = NaiveDate::default();
    let first_day = (first - epoch).num_days();
    let since_ms = first_day * DAY_MS;
    let store = &services.store;
    let counts = store.message_counts_by_day(caller.org(), since_ms).await?;
    let mut flagged = 0u64;
    let mut outcomes: Vec<DayOutcomes> = (0..days)
        .filter_map(|offset| first.checked_add_days(Days::new(u64::from(offset))))
        .map(|date| DayOutcomes {
            date,
            delivered: 0,
            failed: 0,
            undelivered: 0,
        })
        .collect();
    for count in counts {
        let Some(day) = usize::try_from(count.day - first_day)
            .ok()
            .and_then(|index| outcomes.get_mut(index))
        else {
            continue;
        };
        let n = u64::try_from(count.count).unwrap_or(0);
        flagged += u64::try_from(count.flagged).unwrap_or(0);
        match count.status.as_str() {
            "delivered" | "read" => day.delivered += n,
            "failed" => day.failed += n,
            "undelivered" => day.undelivered += n,
            _ => {}
        }
    }
    let hot_lead_p50 = store
        .hot_lead_delivery_median_ms(caller.org(), since_ms)
        .await?
        .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
    Ok(Traffic {
        days: outcomes,
        hot_lead_p50,
        flagged,
    })
}

/// A week counted at an instant, for the day it ended on.
struct Counted {
    at: Instant,
    today: NaiveDate,
    traffic: Arc<Traffic>,
}

/// The last week's traffic per organization, kept for a few seconds: an overview read by many
/// people (or reloaded often) counts the week once per interval, not once per view. One count
/// runs at a time, so a burst of views after the interval waits for one count instead of each
/// starting its own.
pub struct RecentTraffic {
    ttl: Duration,
    counted: Mutex<HashMap<OrgId, Counted>>,
    counting: tokio::sync::Mutex<()>,
}

impl RecentTraffic {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            counted: Mutex::default(),
            counting: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self, org: &OrgId, today: NaiveDate) -> Option<Arc<Traffic>> {
        let counted = self.counted.lock().unwrap_or_else(PoisonError::into_inner);
        counted
            .get(org)
            .filter(|kept| kept.at.elapsed() < self.ttl && kept.today == today)
            .map(|kept| Arc::clone(&kept.traffic))
    }

    /// The 7 days up to `today`, at most `ttl` old.
    pub async fn last_week(
        &self,
        services: &Services,
        caller: &Caller,
        today: NaiveDate,
    ) -> Result<Arc<Traffic>, TrafficError> {
        if let Some(traffic) = self.fresh(caller.org(), today) {
            return Ok(traffic);
        }
        let _counting = self.counting.lock().await;
        if let Some(traffic) = self.fresh(caller.org(), today) {
            return Ok(traffic);
        }
        let traffic = Arc::new(last_days(services, caller, today, 7).await?);
        let mut counted = self.counted.lock().unwrap_or_else(PoisonError::into_inner);
        counted.retain(|_, kept| kept.at.elapsed() < self.ttl);
        let kept = Counted {
            at: Instant::now(),
            today,
            traffic: Arc::clone(&traffic),
        };
        counted.insert(caller.org().clone(), kept);
        Ok(traffic)
    }
}
