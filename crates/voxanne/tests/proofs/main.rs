//! The proof suite: issue 16's claims as runnable proofs, each printing one line with its figure.
//!
//! `VOXANNE_PROOF_SIZE=small` (the default, what CI runs on both databases) or `full` (the issue's
//! sizes, by hand: see the README's "Proofs"). Every line is also appended to
//! `target/tmp/proofs.txt`, so CI can show the figures of a run whose output was captured.
//! The database comes from `VOXANNE_TEST_DATABASE_URL`, as for the other tests.
// Proofs, like tests, fail loudly: an unwrap that panics is a failed proof.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../it/support/mod.rs"]
mod support;

/// What the test kit's planted secrets expect at `crate::store` (the `it` binary's store module).
#[allow(unused_imports)]
mod store {
    pub use crate::support::store::{google_credential, twilio_credential};
}

mod callbacks;
mod captured;
mod crash;
mod faults;
mod fleet;
mod load;
mod outage;
mod secret_paths;
mod sentinels;
mod size;
mod stale;
mod tenancy;
