//! Scheduled re-verification: every active credential (Twilio and Google) is checked again every
//! `reverify_interval_secs`, jittered, without sending a text, so a suspended account, a released
//! number, a revoked key or a revoked Google grant is known before a hot lead needs it.
//!
//! The checks are the verification's own ([`crate::credentials::recheck`]); this module only
//! decides when. Each server polls for due credentials and claims them in the database
//! ([`crate::store::Store::claim_due_rechecks`]), so several servers on one database check each
//! credential once per interval. A run that could not check (timeout, 5xx, 429) is retried
//! sooner, backing off from 5 minutes up to the interval; [`run::RECHECK_FAILED_THRESHOLD`] such
//! runs in a row raise the "recheck failed" signal ([`run::recheck_failed`]).

pub mod run;

use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::outbox::now_ms;
use crate::services::Services;
use crate::store::StoreError;

/// The default interval (a server setting): every 6 hours.
pub use crate::config::server::DEFAULT_REVERIFY_INTERVAL as DEFAULT_INTERVAL;

/// The first retry after a run that could not check; it doubles on each one in a row.
const FIRST_RETRY: Duration = Duration::from_secs(5 * 60);

/// Credentials claimed per poll (checked one after the other).
const BATCH: i64 = 10;

/// When credentials are re-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval: DEFAULT_INTERVAL,
        }
    }
}

impl Schedule {
    /// The interval ±10 %, so credentials added together (or after a restart) spread out.
    pub fn jittered_interval(&self) -> Duration {
        jittered(self.interval)
    }

    /// When to try again after `consecutive` runs in a row that could not check: 5 min, 10,
    /// 20, … but never later than the regular interval (jittered like it).
    pub fn retry_after(&self, consecutive: u32) -> Duration {
        let doublings = consecutive.saturating_sub(1).min(16);
        let backoff = FIRST_RETRY.saturating_mul(1 << doublings);
        jittered(backoff.min(self.interval))
    }

    /// How often a server looks for due credentials: a twentieth of the interval, between
    /// 100 ms and 30 s (a cheap indexed query).
    pub fn poll_every(&self) -> Duration {
        (self.interval / 20).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }
}

fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.9..=1.1))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The running re-verifier; [`Reverifier::stop`] ends it after the check in progress.
pub struct Reverifier {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Reverifier {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts re-checking the credentials of every organization on `schedule`.
pub fn start(services: Services, schedule: Schedule) -> Reverifier {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        tracing::info!(
            interval_secs = schedule.interval.as_secs(),
            "credential re-verification started"
        );
        while !*stopped.borrow() {
            match poll_once(&services, &schedule).await {
                Ok(claimed) if claimed >= BATCH as usize => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "re-verification poll failed; retrying later")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(schedule.poll_every()) => {}
                _ = stopped.changed() => {}
            }
        }
    });
    Reverifier { stop, task }
}

/// One poll: schedules credentials that have no next check yet, then claims the due ones and
/// re-checks them. Returns how many were claimed.
pub async fn poll_once(services: &Services, schedule: &Schedule) -> Result<usize, StoreError> {
    let now = now_ms();
    services
        .store
        .schedule_unscheduled_rechecks(now, || millis(schedule.jittered_interval()))
        .await?;
    let lease_until = now.saturating_add(millis(schedule.jittered_interval()));
    let claimed = services
        .store
        .claim_due_rechecks(now, lease_until, BATCH)
        .await?;
    for credential in &claimed {
        if let Err(err) = run::recheck_one(services, schedule, credential).await {
            tracing::warn!(org_id = %credential.org_id, credential_id = %credential.id, error = %err, "re-check failed; trying again next interval");
        }
    }
    Ok(claimed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_jittered_by_at_most_ten_percent() {
        let schedule = Schedule::default();
        for _ in 0..200 {
            let every = schedule.jittered_interval();
            assert!(
                every >= DEFAULT_INTERVAL.mul_f64(0.9) && every <= DEFAULT_INTERVAL.mul_f64(1.1)
            );
        }
    }

    #[test]
    fn could_not_check_is_retried_sooner_backing_off_up_to_the_interval() {
        let schedule = Schedule::default();
        let around =
            |got: Duration, want: Duration| got >= want.mul_f64(0.9) && got <= want.mul_f64(1.1);
        assert!(around(schedule.retry_after(1), Duration::from_secs(300)));
        assert!(around(schedule.retry_after(2), Duration::from_secs(600)));
        assert!(around(schedule.retry_after(3), Duration::from_secs(1200)));
        assert!(around(schedule.retry_after(40), DEFAULT_INTERVAL));
        let short = Schedule {
            interval: Duration::from_secs(2),
        };
        assert!(around(short.retry_after(1), Duration::from_secs(2)));
    }

    #[test]
    fn servers_poll_often_enough_for_the_interval_but_not_busily() {
        let poll = |secs| {
            Schedule {
                interval: Duration::from_secs(secs),
            }
            .poll_every()
        };
        assert_eq!(poll(21_600), Duration::from_secs(30));
        assert_eq!(poll(2), Duration::from_millis(100));
        assert_eq!(poll(60), Duration::from_secs(3));
    }
}
