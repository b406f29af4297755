//! The voxanne integration test binary: one binary, one module per area (see SANDBOX-API.md).

// Fixtures outside #[test] functions may unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod google;
