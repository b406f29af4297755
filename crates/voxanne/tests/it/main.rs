//! The voxanne integration test binary: one binary, one module per area (see the README).
//!
//! The database comes from `VOXANNE_TEST_DATABASE_URL`: unset → a fresh SQLite file in a temp dir;
//! `postgres://…` → a fresh database per test on that server, dropped afterwards.

// Fixtures outside #[test] functions may unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod booking;
mod check;
mod cli_admin;
mod credential_events;
mod dashboard;
mod delivery;
mod google;
mod google_calendar;
mod google_connect;
mod hygiene;
mod reverify;
mod store;
mod support;
mod vault;
mod webhooks;
