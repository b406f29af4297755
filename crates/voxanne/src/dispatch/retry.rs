//! What to do after a send attempt failed: retry (when), fail (why), pause, or reconcile.
//!
//! The decision depends only on the failure's class, the attempt count and the message's age,
//! so it is a pure function that tests can drive without a clock or a network.
//!
//! The classes of a failed Create Message:
//! - *not processed*: 429/20429 and 503 (Twilio refused the request before acting on it), or a
//!   connection that failed before the request was written. Safe to send again: after
//!   `Retry-After` for a 429, with jittered backoff otherwise.
//! - *ambiguous*: 500, 502 and 504 (an error that may come after the message was created), a
//!   timeout or a reset after the request was written. Never resent blindly: the account's
//!   messages are listed (`To`, `From`, `DateSent`) and the match adopted; the message is sent
//!   again only if provably absent, and handed to a person if several candidates exist.
//! - *permanent*: Twilio's refusal codes (21211, 21408, 21610, 21612, 21614, …) fail at once
//!   with their plain reason and code; 20003 pauses the credential's queue instead.
//! - a message still not handed to Twilio after `max_age` fails with the last error.

use std::time::Duration;

use rand::Rng;

use crate::backoff::{Backoff, Jitter};
use crate::outbox::reason;

/// A failed send, in the classes the policy distinguishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// 429 / 20429: Twilio did not process the request; safe to retry after `retry_after`.
    RateLimited {
        retry_after: Option<Duration>,
        code: Option<u32>,
    },
    /// 503, or a connection error before the request was written: safe to retry with backoff.
    /// `code` is Twilio's error code when Twilio answered.
    Transient { cause: String, code: Option<u32> },
    /// Twilio answered with a code that retrying later may fix (21611 queue full).
    Later { code: u32, message: Option<String> },
    /// Twilio refused the message for good (21211, 21610, 21614, …).
    Permanent { code: Option<u32>, message: String },
    /// 20003: the credential itself is wrong; every message through it would fail.
    Unauthorized,
    /// The request may have reached Twilio (500/502/504, or a timeout or reset after it was
    /// written).
    Ambiguous { cause: String, code: Option<u32> },
}

/// What the dispatcher does next with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again after `delay`; `cause` (and Twilio's `code`, if any) go on the timeline.
    Retry {
        delay: Duration,
        cause: String,
        code: Option<u32>,
    },
    /// Give up: the message becomes `failed` with this code and reason.
    Fail { code: Option<u32>, reason: String },
    /// Mark the credential `failed` and hold every queued message that uses it.
    PauseCredential { reason: String },
    /// Find out from Twilio whether the message exists before doing anything else.
    Reconcile { cause: String, code: Option<u32> },
}

/// Retry timing and limits. Tests shrink the durations; production uses [`RetryPolicy::default`].
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff ceiling; doubles with each attempt (full jitter below it).
    pub base: Duration,
    /// Largest backoff.
    pub cap: Duration,
    /// Smallest wait honoured for a 429 without a usable `Retry-After`.
    pub retry_after_min: Duration,
    /// A `Retry-After` above this is clamped, so a bogus header cannot park a message for days.
    pub retry_after_max: Duration,
    /// A message not handed to Twilio within this age fails instead of being retried.
    pub max_age: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            retry_after_min: Duration::from_millis(100),
            retry_after_max: Duration::from_secs(120),
            max_age: Duration::from_secs(30 * 60),
        }
    }
}

impl RetryPolicy {
    /// The decision after attempt number `attempts` (1 for the first) of a message `age` old.
    pub fn decide(
        &self,
        failure: &SendFailure,
        attempts: u32,
        age: Duration,
        rng: &mut impl Rng,
    ) -> Decision {
        let (delay, cause) = match failure {
            SendFailure::Unauthorized => {
                return Decision::PauseCredential {
                    reason: reason::describe(20003, None),
                };
            }
            SendFailure::Permanent { code, message } => {
                let reason = match code {
                    Some(code) => reason::describe(*code, Some(message)),
                    None => message.clone(),
                };
                return Decision::Fail {
                    code: *code,
                    reason,
                };
            }
            SendFailure::Ambiguous { cause, code } => {
                return Decision::Reconcile {
                    cause: cause.clone(),
                    code: *code,
                };
            }
            SendFailure::RateLimited { retry_after, .. } => {
                let delay = self
                    .schedule()
                    .wait(attempts, *retry_after, rng)
                    .max(self.retry_after_min);
                (
                    delay,
                    format!(
                        "Twilio answered 429 (too many requests); retrying in {} ms",
                        delay.as_millis()
                    ),
                )
            }
            SendFailure::Transient { cause, .. } => {
                let delay = self.backoff(attempts, rng);
                (
                    delay,
                    format!("{cause}; retrying in {} ms", delay.as_millis()),
                )
            }
            SendFailure::Later { code, message } => {
                let delay = self.backoff(attempts, rng).max(self.base);
                let why = reason::describe(*code, message.as_deref());
                (
                    delay,
                    format!("{why}; retrying in {} ms", delay.as_millis()),
                )
            }
        };
        if age.saturating_add(delay) > self.max_age {
            return Decision::Fail {
                code: None,
                reason: format!(
                    "Not handed to Twilio within {}; last error: {}",
                    age_in_words(self.max_age),
                    cause_before_retry(&cause)
                ),
            };
        }
        Decision::Retry {
            delay,
            cause,
            code: failure.twilio_code(),
        }
    }

    /// The schedule: full jitter (many messages fail together when Twilio is busy, and must
    /// not come back together), never below a tenth of `base` so a retry storm cannot spin.
    pub fn schedule(&self) -> Backoff {
        Backoff {
            base: self.base,
            cap: self.cap,
            floor: self.base / 10,
            jitter: Jitter::Full,
            retry_after_min: self.retry_after_min,
            retry_after_max: self.retry_after_max,
        }
    }

    /// The wait after attempt number `attempts` when Twilio named none: a random wait below
    /// `min(cap, base * 2^(attempts-1))`, never below a tenth of `base`.
    pub fn backoff(&self, attempts: u32, rng: &mut impl Rng) -> Duration {
        self.schedule().delay(attempts, rng)
    }
}

impl SendFailure {
    /// Twilio's error code, when Twilio answered with one.
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            SendFailure::RateLimited { code, .. }
            | SendFailure::Transient { code, .. }
            | SendFailure::Ambiguous { code, .. }
            | SendFailure::Permanent { code, .. } => *code,
            SendFailure::Later { code, .. } => Some(*code),
            SendFailure::Unauthorized => Some(20003),
        }
    }
}

/// A max age for a reason: whole minutes, or milliseconds when shorter (tests).
pub fn age_in_words(age: Duration) -> String {
    if age >= Duration::from_secs(60) {
        format!("{} minutes", age.as_secs().div_ceil(60))
    } else {
        format!("{} ms", age.as_millis())
    }
}

/// The cause without its "; retrying in …" tail, for a final reason.
fn cause_before_retry(cause: &str) -> &str {
    cause.split("; retrying in").next().unwrap_or(cause)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    fn young() -> Duration {
        Duration::from_secs(1)
    }

    #[test]
    fn a_429_waits_for_its_retry_after() {
        let failure = SendFailure::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
            code: Some(20429),
        };
        let decision = policy().decide(&failure, 1, young(), &mut StdRng::seed_from_u64(1));
        assert!(
            matches!(decision, Decision::Retry { delay, .. } if delay == Duration::from_secs(3))
        );
    }

    #[test]
    fn a_huge_retry_after_is_clamped() {
        let failure = SendFailure::RateLimited {
            retry_after: Some(Duration::from_secs(86_400)),
            code: Some(20429),
        };
        let decision = policy().decide(&failure, 1, young(), &mut StdRng::seed_from_u64(1));
        assert!(
            matches!(decision, Decision::Retry { delay, .. } if delay == policy().retry_after_max)
        );
    }

    #[test]
    fn server_errors_back_off_with_jitter_under_a_growing_ceiling() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(3, &mut rng)).collect();
        assert!(
            waits
                .iter()
                .all(|w| *w <= policy.base * 4 && *w >= policy.base / 10)
        );
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 50, "jitter should spread the waits");
        assert!((0..50).all(|_| policy.backoff(40, &mut rng) <= policy.cap));
    }

    #[test]
    fn a_permanent_code_fails_at_once_with_a_plain_reason() {
        let failure = SendFailure::Permanent {
            code: Some(21610),
            message: "Attempt to send to unsubscribed recipient".into(),
        };
        let decision = policy().decide(&failure, 1, young(), &mut StdRng::seed_from_u64(1));
        assert!(
            matches!(&decision, Decision::Fail { code: Some(21610), reason } if reason.contains("STOP"))
        );
    }

    #[test]
    fn bad_credentials_pause_the_credential_instead_of_retrying() {
        let decision = policy().decide(
            &SendFailure::Unauthorized,
            1,
            young(),
            &mut StdRng::seed_from_u64(1),
        );
        assert!(
            matches!(decision, Decision::PauseCredential { reason } if reason.contains("Auth Token"))
        );
    }

    #[test]
    fn an_ambiguous_send_is_reconciled_never_resent_blindly() {
        let failure = SendFailure::Ambiguous {
            cause: "timed out".into(),
            code: None,
        };
        let decision = policy().decide(&failure, 1, young(), &mut StdRng::seed_from_u64(1));
        assert!(matches!(decision, Decision::Reconcile { .. }));
    }

    #[test]
    fn a_message_past_its_max_age_fails_with_the_last_error() {
        let failure = SendFailure::Transient {
            cause: "Twilio answered 503".into(),
            code: Some(20503),
        };
        let age = policy().max_age;
        let decision = policy().decide(&failure, 9, age, &mut StdRng::seed_from_u64(1));
        assert!(
            matches!(&decision, Decision::Fail { code: None, reason } if reason.contains("503") && reason.contains("30 minutes"))
        );
    }
}
