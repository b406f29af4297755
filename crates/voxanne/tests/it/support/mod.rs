//! Shared fixtures: a fresh test database per test, a store on it, random sentinel secrets,
//! and a running Twilio sandbox.
#![allow(dead_code, unused_imports)] // each test module uses a different subset of the fixtures

pub mod database;
pub mod fetch;
pub mod logs;
pub mod planted;
pub mod raw;
pub mod sentinel;
pub mod serve_process;
pub mod store;
pub mod twilio_sandbox;

pub use database::TestDb;
pub use fetch::Fetch;
pub use sentinel::Sentinel;
pub use store::TestStore;
