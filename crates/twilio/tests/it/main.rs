//! The client against the sandbox through real sockets: one test binary, one module per area.
// Test helpers outside #[test] fns may unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod callback;
mod client;
mod faults;
mod support;
