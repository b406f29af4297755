//! How the check suite retries: only what Twilio says is safe, waiting as long as Twilio asks.

use std::future::Future;
use std::time::Duration;

use twilio::{Error, RetryClass};

use crate::backoff::{Backoff, Jitter, Retried, Verdict};

/// Retry budget for one Twilio call of the check suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, the first one included.
    pub attempts: u32,
    /// First wait when Twilio gives no `Retry-After`; doubles each time.
    pub backoff: Duration,
    /// Upper bound on any single wait, `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The schedule: no jitter (one person runs the suite, and the waits it reports should be
    /// the ones it was told), `Retry-After` trusted up to `max_wait`.
    pub fn schedule(&self) -> Backoff {
        Backoff {
            base: self.backoff,
            cap: self.max_wait,
            floor: Duration::ZERO,
            jitter: Jitter::None,
            retry_after_min: Duration::ZERO,
            retry_after_max: self.max_wait,
        }
    }
}

/// Whether a call may be repeated after `err`. `idempotent` calls (reads) may also repeat after
/// ambiguous failures; a create may only repeat when Twilio certainly did not act: no connection,
/// or 429 (Twilio: "never processed and is always safe to retry").
pub fn may_retry(err: &Error, idempotent: bool) -> bool {
    if err.retry_class() != RetryClass::Transient {
        return false;
    }
    match err {
        Error::Api(api) => api.http_status == 429 || (idempotent && api.http_status >= 500),
        Error::Connect { .. } => true,
        other => idempotent && other.is_ambiguous(),
    }
}

/// The outcome of a retried Twilio call, how many tries it took and how long it waited.
pub type Attempted<T> = Retried<T, Error>;

/// Runs `call` until it succeeds, fails for good, or the budget is spent.
pub async fn retrying<T, F, Fut>(policy: RetryPolicy, idempotent: bool, call: F) -> Attempted<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    policy
        .schedule()
        .retry(
            policy.attempts,
            call,
            |err| {
                if may_retry(err, idempotent) {
                    Verdict::Retry {
                        retry_after: err.retry_after(),
                    }
                } else {
                    Verdict::GiveUp
                }
            },
            |err, attempt, wait| {
                tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying a Twilio call");
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use twilio::ApiError;

    use super::*;

    fn api(status: u16, code: u32, retry_after: Option<Duration>) -> Error {
        let body = format!(r#"{{"code":{code},"message":"m","status":{status}}}"#);
        ApiError::from_response(status, body.as_bytes(), retry_after, None).into()
    }

    #[test]
    fn creates_repeat_only_after_429_while_reads_also_repeat_after_5xx() {
        assert!(may_retry(&api(429, 20429, None), false));
        assert!(!may_retry(&api(503, 503, None), false));
        assert!(may_retry(&api(503, 503, None), true));
        assert!(!may_retry(&api(400, 21611, None), true));
        assert!(!may_retry(&api(401, 20003, None), true));
    }

    #[tokio::test]
    async fn retry_after_is_honoured_but_clamped_and_the_budget_is_kept() {
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(1),
            max_wait: Duration::from_millis(20),
        };
        let started = std::time::Instant::now();
        let out = retrying(policy, false, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(api(429, 20429, Some(Duration::from_secs(60))))
        })
        .await;
        assert_eq!((calls.load(Ordering::SeqCst), out.attempts), (3, 3));
        assert_eq!(out.waited, Duration::from_millis(40));
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert_eq!(out.result.unwrap_err().code(), Some(20429));
    }

    #[tokio::test]
    async fn a_permanent_error_is_returned_at_once() {
        let calls = AtomicU32::new(0);
        let out = retrying(RetryPolicy::default(), true, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(api(400, 21211, None))
        })
        .await;
        assert_eq!((calls.load(Ordering::SeqCst), out.attempts), (1, 1));
    }
}
