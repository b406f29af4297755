//! Retrying transient Google failures (5xx, 429, network): which errors are retried and how many
//! times; the waits (exponential with full jitter, capped, `Retry-After` honoured up to the cap)
//! come from [`crate::backoff`].

use std::future::Future;
use std::time::Duration;

use super::{Error, ErrorKind};
use crate::backoff::{Jitter, Verdict};

#[derive(Clone, Debug)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// No single wait exceeds this, whatever `Retry-After` says.
    pub max_delay: Duration,
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_attempts: 4,
        }
    }
}

impl Backoff {
    /// The schedule: full jitter, `Retry-After` trusted up to `max_delay`.
    pub fn schedule(&self) -> crate::backoff::Backoff {
        crate::backoff::Backoff {
            base: self.base,
            cap: self.max_delay,
            floor: Duration::ZERO,
            jitter: Jitter::Full,
            retry_after_min: Duration::ZERO,
            retry_after_max: self.max_delay,
        }
    }

    /// The wait before retry number `retry` (1-based): a random duration in
    /// `[0, min(max_delay, base * 2^(retry-1))]`, or the server's `Retry-After` clamped to
    /// `max_delay` when it gave one.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.schedule().wait(retry, retry_after, &mut rand::rng())
    }

    /// Runs `operation` until it succeeds, fails for a non-transient reason, or runs out of
    /// attempts; returns the last error then. `invalid_grant` is never retried.
    pub async fn retry<T, F, Fut>(&self, operation: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let verdict = |error: &Error| match error {
            _ if error.kind() != ErrorKind::Transient => Verdict::GiveUp,
            Error::Unavailable { retry_after, .. } => Verdict::Retry {
                retry_after: *retry_after,
            },
            _ => Verdict::Retry { retry_after: None },
        };
        self.schedule()
            .retry(self.max_attempts, operation, verdict, |_, _, _| {})
            .await
            .result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delays_stay_under_the_exponential_ceiling_and_the_cap(retry in 1u32..40, base_ms in 1u64..2000, cap_ms in 1u64..60_000) {
            let backoff = Backoff { base: Duration::from_millis(base_ms), max_delay: Duration::from_millis(cap_ms), max_attempts: 5 };
            let ceiling = Duration::from_millis(base_ms).saturating_mul(2u32.saturating_pow(retry - 1)).min(Duration::from_millis(cap_ms));
            prop_assert!(backoff.delay(retry, None) <= ceiling);
        }

        #[test]
        fn retry_after_is_honoured_but_clamped(secs in 0u64..1000) {
            let backoff = Backoff { base: Duration::from_millis(10), max_delay: Duration::from_secs(30), max_attempts: 5 };
            prop_assert_eq!(backoff.delay(1, Some(Duration::from_secs(secs))), Duration::from_secs(secs.min(30)));
        }
    }
}
