//! Injected failures: the next N REST calls of an account answer 429, 500 or 503, hang, or lose
//! their connection, optionally after the request took effect (`process`), so clients can be
//! tested against the failures real Twilio produces.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde::Deserialize;

/// What a faulty call does instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum FaultKind {
    /// 429 / 20429 with a `Retry-After` header; never processed (as Twilio guarantees).
    #[serde(rename = "429")]
    TooManyRequests,
    /// 500 / 20500.
    #[serde(rename = "500")]
    Internal,
    /// 503 / 20503.
    #[serde(rename = "503")]
    Unavailable,
    /// Holds the request for the sandbox's `hang_for`, then drops the connection.
    #[serde(rename = "hang")]
    Hang,
    /// Reads the request, then drops the connection without answering.
    #[serde(rename = "close")]
    Close,
}

/// One armed fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    /// Seconds for the `Retry-After` header of a 429.
    pub retry_after: u64,
    /// Whether the request takes effect before the failure (ignored for 429).
    pub process: bool,
}

/// `POST /sandbox/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    pub account_sid: String,
    pub fault: FaultKind,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default = "one_second")]
    pub retry_after: u64,
    #[serde(default)]
    pub process: bool,
}

fn one() -> u32 {
    1
}

fn one_second() -> u64 {
    1
}

/// The faults armed for one account, consumed one per REST call. The counter lets the hot path
/// skip the lock when nothing is armed.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    armed: AtomicUsize,
    queue: Mutex<VecDeque<Fault>>,
}

impl FaultQueue {
    pub fn arm(&self, fault: Fault, count: u32) {
        let mut queue = self.queue.lock();
        for _ in 0..count {
            queue.push_back(fault);
        }
        self.armed.store(queue.len(), Ordering::Release);
    }

    /// The fault for the current call, if one is armed.
    pub fn take(&self) -> Option<Fault> {
        if self.armed.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut queue = self.queue.lock();
        let fault = queue.pop_front();
        self.armed.store(queue.len(), Ordering::Release);
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armed_faults_are_consumed_once_each_in_order() {
        let queue = FaultQueue::default();
        let hang = Fault {
            kind: FaultKind::Hang,
            retry_after: 1,
            process: false,
        };
        let busy = Fault {
            kind: FaultKind::TooManyRequests,
            retry_after: 3,
            process: false,
        };
        queue.arm(busy, 2);
        queue.arm(hang, 1);
        assert_eq!(queue.take(), Some(busy));
        assert_eq!(queue.take(), Some(busy));
        assert_eq!(queue.take(), Some(hang));
        assert_eq!(queue.take(), None);
    }
}
