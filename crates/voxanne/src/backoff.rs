//! The one retry schedule of every outgoing call (the check suite, the dispatcher, Google):
//! exponential waits, optionally with full jitter, and a server's `Retry-After` honoured within
//! bounds.
//!
//! Callers differ in *what* they retry (a create may repeat only when Twilio certainly did not act;
//! Google's `invalid_grant` never) and in their budgets; those rules stay with each caller. How
//! long to wait lives here only, so the three schedules cannot drift apart.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

/// How a wait is spread below its exponential ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Wait exactly the ceiling: predictable, for a person watching one call.
    None,
    /// A uniformly random wait in `[0, ceiling]`, so many clients that failed together do not
    /// retry together (AWS's "full jitter").
    Full,
}

/// A retry schedule: the wait before each retry, and how far a server's `Retry-After` is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first wait; it doubles with each attempt.
    pub base: Duration,
    /// No computed wait exceeds this.
    pub cap: Duration,
    /// No computed wait is shorter than this, so a retry storm cannot spin.
    pub floor: Duration,
    pub jitter: Jitter,
    /// A `Retry-After` below this is raised to it.
    pub retry_after_min: Duration,
    /// A `Retry-After` above this is lowered to it, so a bogus header cannot park a call for days.
    pub retry_after_max: Duration,
}

impl Backoff {
    /// Retrying a write or read of our own database while it is unreachable (an outage
    /// beginning): soon, then at most once a second, so work done just before the outage is
    /// recorded as soon as the database is back. No jitter: one process retries, not a crowd.
    pub const DATABASE_OUTAGE: Backoff = Backoff {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(1),
        floor: Duration::from_millis(100),
        jitter: Jitter::None,
        retry_after_min: Duration::ZERO,
        retry_after_max: Duration::ZERO,
    };

    /// The ceiling of the wait after attempt number `attempt` (1 for the first):
    /// `min(cap, base * 2^(attempt-1))`, saturating instead of overflowing.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait after attempt number `attempt` when the server named none.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let wait = match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => {
                // Whole milliseconds: finer jitter buys nothing against a network round trip.
                let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
                Duration::from_millis(rng.random_range(0..=millis))
            }
        };
        wait.max(self.floor)
    }

    /// A server's `Retry-After`, within `[retry_after_min, retry_after_max]` (the maximum wins if
    /// the bounds cross, rather than panicking like `Duration::clamp`).
    pub fn clamp_retry_after(&self, wait: Duration) -> Duration {
        wait.max(self.retry_after_min).min(self.retry_after_max)
    }

    /// The wait after attempt number `attempt`: the server's `Retry-After` when it gave one
    /// (clamped), the schedule's delay otherwise.
    pub fn wait(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        match retry_after {
            Some(wait) => self.clamp_retry_after(wait),
            None => self.delay(attempt, rng),
        }
    }

    /// Runs `call` until it succeeds, `verdict` says its error is final, or `attempts` tries
    /// (the first included) are spent; `on_retry` hears of each retry (the error, the attempt
    /// that failed and the wait) before the wait.
    pub async fn retry<T, E, F, Fut>(
        &self,
        attempts: u32,
        mut call: F,
        mut verdict: impl FnMut(&E) -> Verdict,
        mut on_retry: impl FnMut(&E, u32, Duration),
    ) -> Retried<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 1;
        let mut waited = Duration::ZERO;
        loop {
            let result = call().await;
            let retry_after = match &result {
                Err(err) if attempt < attempts => match verdict(err) {
                    Verdict::Retry { retry_after } => Some(retry_after),
                    Verdict::GiveUp => None,
                },
                _ => None,
            };
            let (Some(retry_after), Err(err)) = (retry_after, &result) else {
                return Retried {
                    result,
                    attempts: attempt,
                    waited,
                };
            };
            // The generator is made and dropped here, never held across the await.
            let wait = self.wait(attempt, retry_after, &mut rand::rng());
            on_retry(err, attempt, wait);
            tokio::time::sleep(wait).await;
            waited += wait;
            attempt += 1;
        }
    }
}

/// A caller's classification of one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Retrying may help; the server may have said how long to wait.
    Retry { retry_after: Option<Duration> },
    /// Retrying cannot help, or is not safe.
    GiveUp,
}

/// The outcome of a retried call, how many tries it took and how long it waited in between.
#[derive(Debug)]
pub struct Retried<T, E> {
    pub result: Result<T, E>,
    pub attempts: u32,
    pub waited: Duration,
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn schedule(base_ms: u64, cap_ms: u64, floor_ms: u64, jitter: Jitter) -> Backoff {
        Backoff {
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(cap_ms),
            floor: Duration::from_millis(floor_ms),
            jitter,
            retry_after_min: Duration::from_millis(100),
            retry_after_max: Duration::from_secs(120),
        }
    }

    proptest! {
        #[test]
        fn the_ceiling_doubles_up_to_the_cap_and_never_shrinks(attempt in 1u32..80, base_ms in 1u64..5_000, cap_ms in 1u64..600_000) {
            let backoff = schedule(base_ms, cap_ms, 0, Jitter::Full);
            let ceiling = backoff.ceiling(attempt);
            prop_assert!(ceiling <= backoff.cap);
            prop_assert!(backoff.ceiling(attempt + 1) >= ceiling);
            if attempt < 20 {
                let exact = Duration::from_millis(base_ms * (1 << (attempt - 1))).min(backoff.cap);
                prop_assert_eq!(ceiling, exact);
            }
        }

        #[test]
        fn full_jitter_stays_between_the_floor_and_the_ceiling(attempt in 0u32..80, base_ms in 1u64..5_000, cap_ms in 1u64..600_000, floor_ms in 0u64..100, seed in any::<u64>()) {
            let backoff = schedule(base_ms, cap_ms, floor_ms, Jitter::Full);
            let delay = backoff.delay(attempt, &mut StdRng::seed_from_u64(seed));
            prop_assert!(delay >= backoff.floor);
            prop_assert!(delay <= backoff.ceiling(attempt).max(backoff.floor));
        }

        #[test]
        fn without_jitter_the_delay_is_the_ceiling(attempt in 1u32..80, base_ms in 1u64..5_000, cap_ms in 1u64..600_000, seed in any::<u64>()) {
            let backoff = schedule(base_ms, cap_ms, 0, Jitter::None);
            prop_assert_eq!(backoff.delay(attempt, &mut StdRng::seed_from_u64(seed)), backoff.ceiling(attempt));
        }

        #[test]
        fn a_retry_after_is_kept_within_its_bounds_and_untouched_inside_them(ms in 0u64..10_000_000) {
            let backoff = schedule(500, 60_000, 50, Jitter::Full);
            let wait = Duration::from_millis(ms);
            let clamped = backoff.wait(1, Some(wait), &mut StdRng::seed_from_u64(0));
            prop_assert!(clamped >= backoff.retry_after_min && clamped <= backoff.retry_after_max);
            if wait >= backoff.retry_after_min && wait <= backoff.retry_after_max {
                prop_assert_eq!(clamped, wait);
            }
        }
    }

    #[test]
    fn full_jitter_spreads_the_waits_over_the_whole_range() {
        let backoff = schedule(500, 60_000, 0, Jitter::Full);
        let mut rng = StdRng::seed_from_u64(3);
        let waits: Vec<Duration> = (0..400).map(|_| backoff.delay(3, &mut rng)).collect();
        let ceiling = backoff.ceiling(3);
        assert!(waits.iter().any(|w| *w < ceiling / 4), "{waits:?}");
        assert!(waits.iter().any(|w| *w > ceiling * 3 / 4), "{waits:?}");
    }

    #[test]
    fn crossed_retry_after_bounds_do_not_panic_and_the_maximum_wins() {
        let backoff = Backoff {
            retry_after_min: Duration::from_secs(10),
            retry_after_max: Duration::from_secs(1),
            ..schedule(1, 1, 0, Jitter::None)
        };
        assert_eq!(
            backoff.clamp_retry_after(Duration::from_secs(5)),
            Duration::from_secs(1)
        );
    }

    #[tokio::test]
    async fn the_loop_keeps_the_budget_and_reports_each_wait() {
        let backoff = schedule(2, 5, 0, Jitter::None);
        let calls = AtomicU32::new(0);
        let mut heard = Vec::new();
        let out = backoff
            .retry(
                4,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>("busy")
                },
                |_| Verdict::Retry { retry_after: None },
                |_, attempt, wait| heard.push((attempt, wait.as_millis())),
            )
            .await;
        assert_eq!((calls.load(Ordering::SeqCst), out.attempts), (4, 4));
        assert_eq!(heard, [(1, 2), (2, 4), (3, 5)]);
        assert_eq!(out.waited, Duration::from_millis(11));
        assert_eq!(out.result, Err("busy"));
    }

    #[tokio::test]
    async fn the_loop_stops_at_a_final_error_and_at_the_first_success() {
        let backoff = Backoff {
            retry_after_min: Duration::ZERO,
            retry_after_max: Duration::from_millis(5),
            ..schedule(1, 1, 0, Jitter::None)
        };
        let calls = AtomicU32::new(0);
        let refused = backoff
            .retry(
                5,
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>("refused")
                },
                |_| Verdict::GiveUp,
                |_, _, _| {},
            )
            .await;
        assert_eq!((calls.load(Ordering::SeqCst), refused.attempts), (1, 1));

        let calls = AtomicU32::new(0);
        let second = backoff
            .retry(
                5,
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    if n == 0 { Err("busy") } else { Ok(n) }
                },
                |_| Verdict::Retry {
                    retry_after: Some(Duration::from_secs(3600)),
                },
                |_, _, _| {},
            )
            .await;
        assert_eq!((second.result, second.attempts), (Ok(1), 2));
        // The hour-long Retry-After was clamped to the schedule's maximum, not slept.
        assert_eq!(second.waited, backoff.retry_after_max);
    }
}
