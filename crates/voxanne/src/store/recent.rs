//! What this process read lately and trusts for a short while, so what every request reads (its
//! API key, its organization's primary credential) is not read from the database each time.
//!
//! An entry is trusted for [`TRUST`], then read again. A change made through this process's
//! store forgets the entries it touches at once; a change made by another process (the CLI,
//! another `serve` on the same database) is seen here within [`TRUST`]. Entries never hold a
//! secret: API keys are kept by their SHA-256 (what the database holds), credentials without
//! their secrets (the Twilio accounts' cache opens those, and rebuilds when `updated_at` moves).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long an entry is trusted without reading it again: the longest a key revoked, or a
/// credential changed, by another process goes unnoticed by this one.
pub const TRUST: Duration = Duration::from_secs(1);

/// Entries kept at most; past that the cache starts over (a flood of distinct keys costs reads,
/// never memory).
const MAX_ENTRIES: usize = 10_000;

/// Values read lately, by key.
#[derive(Debug)]
pub(super) struct Recent<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
    /// Counts forgets: a read that started before one may have seen the old value, and is not
    /// remembered.
    forgets: AtomicU64,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            forgets: AtomicU64::new(0),
        }
    }
}

impl<V: Clone> Recent<V> {
    /// The value kept under `key`, if it was read within [`TRUST`].
    pub(super) fn get(&self, key: &str) -> Option<V> {
        let entries = self.lock();
        let (value, at) = entries.get(key)?;
        (at.elapsed() < TRUST).then(|| value.clone())
    }

    /// Where the forgets stand: take it before reading, pass it to [`Self::put`].
    pub(super) fn mark(&self) -> u64 {
        self.forgets.load(Ordering::SeqCst)
    }

    /// Keeps a value read after `mark`, unless something was forgotten since (the read may
    /// predate that change).
    pub(super) fn put(&self, key: String, value: V, mark: u64) {
        let mut entries = self.lock();
        if self.forgets.load(Ordering::SeqCst) != mark {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets every entry whose value matches (just changed).
    pub(super) fn forget_where(&self, changed: impl Fn(&V) -> bool) {
        let mut entries = self.lock();
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.retain(|_, (value, _)| !changed(value));
    }

    /// Forgets everything.
    pub(super) fn forget_all(&self) {
        self.forget_where(|_| true);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (V, Instant)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgotten_entry_is_read_again_and_the_others_are_kept() {
        let recent: Recent<u32> = Recent::default();
        recent.put("a".into(), 1, recent.mark());
        recent.put("b".into(), 2, recent.mark());

        recent.forget_where(|value| *value == 1);

        assert_eq!(recent.get("a"), None);
        assert_eq!(recent.get("b"), Some(2));
    }

    #[test]
    fn a_read_that_started_before_a_change_is_not_kept() {
        let recent: Recent<u32> = Recent::default();
        let mark = recent.mark();

        recent.forget_all();
        recent.put("a".into(), 1, mark);

        assert_eq!(recent.get("a"), None);
    }
}
