//! Per-API-key rate limiting (GCRA via `governor`), answered as 429 with `Retry-After`.
//!
//! The limit is keyed by the authenticated API key id, not the client address: the receptionist
//! backend sends for many clinics from a few addresses, and one clinic's burst must not throttle
//! the others. It is checked after authentication, so unknown keys cannot evict real ones.

use std::sync::Arc;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
pub use crate::config::server::RateLimit;
use crate::ids::ApiKeyId;

/// The shared limiter (cheap to clone).
#[derive(Clone)]
pub struct KeyLimiter {
    inner: Arc<DefaultKeyedRateLimiter<ApiKeyId>>,
}

impl KeyLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Self {
            inner: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// Counts one request for `key`; refuses with the whole seconds to wait (at least 1).
    pub fn check(&self, key: &ApiKeyId) -> Result<(), ApiError> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.inner.clock().now());
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited {
                retry_after_secs: retry_after_secs.max(1),
            }
        })
    }

    /// Forgets keys that have been idle long enough to be back at a full burst.
    pub fn forget_idle(&self) {
        self.inner.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_past_its_burst_is_refused_with_a_retry_after_and_other_keys_are_not() {
        let limiter = KeyLimiter::new(RateLimit {
            per_second: std::num::NonZeroU32::MIN,
            burst: std::num::NonZeroU32::new(2).unwrap(),
        });
        let (busy, quiet) = (ApiKeyId::generate(), ApiKeyId::generate());
        limiter.check(&busy).unwrap();
        limiter.check(&busy).unwrap();
        match limiter.check(&busy) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        limiter.check(&quiet).unwrap();
    }
}
