//! Retrying Calendar calls inside a time budget. Reads and deletes are repeated on every
//! transient failure (rate limit, 5xx, network); writes that create something only when Google
//! provably did nothing (a rate-limit refusal, a connection never opened), because a repeated
//! insert after a lost answer would book twice: the caller reconciles those instead.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::{Backoff, Error, ErrorKind};

/// How Calendar calls retry. Waits are exponential with full jitter (`backoff`), a server's
/// `Retry-After` honoured up to `backoff.max_delay`; no wait starts that would end past the
/// budget, and each request's timeout is cut to the budget left.
#[derive(Clone, Debug)]
pub struct CalendarRetry {
    pub backoff: Backoff,
    /// Time from the start of a call after which it gives up and returns the last error.
    pub budget: Duration,
}

impl Default for CalendarRetry {
    fn default() -> Self {
        Self {
            backoff: Backoff {
                base: Duration::from_millis(200),
                max_delay: Duration::from_secs(4),
                max_attempts: 6,
            },
            budget: Duration::from_secs(10),
        }
    }
}

/// Whether repeating a call can do harm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Repeat {
    /// Reading, or deleting (a repeated delete finds the event gone): retry every transient error.
    Safe,
    /// Creating: retry only what Google refused before doing anything.
    OnlyIfRefused,
}

fn retryable(error: &Error, repeat: Repeat) -> bool {
    match repeat {
        Repeat::Safe => error.kind() == ErrorKind::Transient,
        Repeat::OnlyIfRefused => match error {
            Error::RateLimited { .. } => true,
            Error::Network(source) => source.is_connect(),
            _ => false,
        },
    }
}

impl CalendarRetry {
    /// Runs `call` (given the budget left, for its timeout) until it succeeds, fails for good,
    /// or the attempts or the budget run out; the last error is returned then.
    pub(super) async fn run<T, F, Fut>(&self, repeat: Repeat, mut call: F) -> Result<T, Error>
    where
        F: FnMut(Duration) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let deadline = Instant::now() + self.budget;
        let schedule = self.backoff.schedule();
        let mut attempt = 1;
        loop {
            let result = call(deadline.saturating_duration_since(Instant::now())).await;
            let error = match &result {
                Err(error) if attempt < self.backoff.max_attempts && retryable(error, repeat) => {
                    error
                }
                _ => return result,
            };
            let retry_after = match error {
                Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                    *retry_after
                }
                _ => None,
            };
            // The generator is made and dropped here, never held across the await.
            let wait = schedule.wait(attempt, retry_after, &mut rand::rng());
            if Instant::now() + wait >= deadline {
                return result;
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying a Calendar call");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}
