//! Sign-in attempts, limited per account and per address.
//!
//! A few failures cost nothing; after that each failure doubles the wait before the next attempt,
//! up to a ceiling, and a quiet spell forgets everything. So a guesser is slowed to a crawl while
//! the real admin is never locked out for longer than the ceiling, and a successful sign-in clears
//! the account's count. Kept in memory: each instance limits its own attempts, which is enough to
//! make guessing impractical (several instances multiply the rate by their number).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failures allowed before any waiting, per account and per address.
const FREE_PER_ACCOUNT: u32 = 5;
const FREE_PER_ADDRESS: u32 = 20;
/// The first wait, doubled at each further failure.
const FIRST_WAIT: Duration = Duration::from_secs(2);
/// The longest wait ever imposed.
const MAX_WAIT: Duration = Duration::from_secs(300);
/// A key with no failure for this long starts over.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Beyond this many keys, forgotten ones are swept before inserting.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// When the next attempt may be made.
    fn next_allowed(&self, free: u32) -> Option<Instant> {
        let over = self.count.checked_sub(free)?;
        let wait = FIRST_WAIT
            .checked_mul(2u32.saturating_pow(over.min(16)))
            .unwrap_or(MAX_WAIT)
            .min(MAX_WAIT);
        Some(self.last + wait)
    }
}

/// Limits sign-in attempts. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl SignInThrottle {
    fn keys(email: &str, address: Option<IpAddr>) -> impl Iterator<Item = (Key, u32)> {
        let account = (Key::Account(email.trim().to_lowercase()), FREE_PER_ACCOUNT);
        let address = address.map(|ip| (Key::Address(ip), FREE_PER_ADDRESS));
        std::iter::once(account).chain(address)
    }

    /// `Err(wait)` when an attempt for `email` from `address` must wait before being tried.
    pub fn check(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = Self::keys(email, address)
            .filter_map(|(key, free)| {
                let seen = failures.get(&key)?;
                if now.duration_since(seen.last) >= FORGET_AFTER {
                    return None;
                }
                let allowed = seen.next_allowed(free)?;
                (allowed > now).then(|| allowed - now)
            })
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, seen| now.duration_since(seen.last) < FORGET_AFTER);
        }
        for (key, _) in Self::keys(email, address) {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
            });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.remove(&Key::Account(email.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));

    #[test]
    fn a_few_failures_are_free_then_waits_double_up_to_the_ceiling() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_PER_ACCOUNT {
            assert!(throttle.check("a@b.example", IP, start).is_ok());
            throttle.failed("a@b.example", IP, start);
        }
        throttle.failed("A@b.example ", IP, start);
        assert_eq!(
            throttle.check("a@b.example", IP, start),
            Err(FIRST_WAIT * 2)
        );
        for _ in 0..40 {
            throttle.failed("a@b.example", IP, start);
        }
        assert_eq!(throttle.check("a@b.example", IP, start), Err(MAX_WAIT));
        // Never a permanent lock-out: once the ceiling has passed, the admin may try again.
        assert!(throttle.check("a@b.example", IP, start + MAX_WAIT).is_ok());
    }

    #[test]
    fn another_account_from_another_address_is_not_slowed() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..20 {
            throttle.failed("a@b.example", IP, now);
        }
        let elsewhere = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
        assert!(throttle.check("c@d.example", elsewhere, now).is_ok());
        assert!(throttle.check("a@b.example", elsewhere, now).is_err());
    }

    #[test]
    fn one_address_trying_many_accounts_is_slowed() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for n in 0..=FREE_PER_ADDRESS {
            throttle.failed(&format!("user{n}@b.example"), IP, now);
        }
        assert!(throttle.check("fresh@b.example", IP, now).is_err());
        assert!(throttle.check("fresh@b.example", None, now).is_ok());
    }

    #[test]
    fn success_and_a_quiet_spell_clear_the_count() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..10 {
            throttle.failed("a@b.example", None, now);
        }
        assert!(throttle.check("a@b.example", None, now).is_err());
        assert!(
            throttle
                .check("a@b.example", None, now + FORGET_AFTER)
                .is_ok()
        );
        throttle.succeeded("a@b.example");
        assert!(throttle.check("a@b.example", None, now).is_ok());
    }
}
