//! Shared fixtures: a fresh test database per test, a store on it, random sentinel secrets.

pub mod database;
pub mod planted;
pub mod raw;
pub mod sentinel;
pub mod twilio_sandbox;

pub use database::TestStore;
pub use sentinel::Sentinel;
