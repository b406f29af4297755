//! The sandbox's behaviour through real sockets: one test binary, one module per concern.

// Test helpers (not only `#[test]` functions) fail by panicking: that is an assertion here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod auth;
mod callbacks;
mod contract;
mod control;
mod create;
mod faults;
mod lifecycle;
mod listing;
mod magic_numbers;
mod support;
