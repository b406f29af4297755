//! The test kit: one typed helper per concept, shared by every area of this binary.
//!
//! - `database`, `store`: a fresh database per test; a migrated store with organizations and
//!   credentials put in it (`TestStore::with_clinic`, `twilio`, `any_twilio`, `mark_verified`, …).
//! - `twilio_sandbox`: a sandbox per test and its control API (accounts, numbers, keys, faults,
//!   inboxes); `TestApp`, the delivery `World` and the check tests all drive it through this.
//! - `app`, `answer`: the service running in-process with its sandbox (`TestApp::with_org`,
//!   `credential`, one helper per endpoint) and what it answered, with assertions that show the
//!   body when they fail (`assert_status`, `assert_error`, `assert_invalid`, `assert_error_says`).
//! - `pg_cluster`: a throwaway PostgreSQL cluster a test may stop and start (an outage).
//! - `serve_process`: a `voxanne serve` child process: its URL once bound, and a SIGTERM stop.
//! - `fetch`: a raw HTTP call and its JSON or text in one step.
//! - `webhook_receiver`: a webhook receiver on a real socket and the reference-library check.
//! - `sentinel`, `planted`, `raw`, `logs`: random secrets planted through every path, direct SQL
//!   for the tests that play the attacker, and trace-level logs captured to search for them.
#![allow(dead_code, unused_imports)] // each test module uses a different subset of the fixtures

pub mod answer;
pub mod app;
pub mod database;
pub mod fetch;
pub mod logs;
pub mod pg_cluster;
pub mod planted;
pub mod raw;
pub mod sentinel;
pub mod serve_process;
pub mod store;
pub mod twilio_sandbox;
pub mod webhook_receiver;

pub use database::TestDb;
pub use fetch::Fetch;
pub use sentinel::Sentinel;
pub use store::TestStore;
