//! Shared fixtures: a fresh test database per test, a store on it, random sentinel secrets,
//! and a running Twilio sandbox.
#![allow(dead_code, unused_imports)] // each test module uses a different subset of the fixtures

pub mod database;
pub mod planted;
pub mod raw;
pub mod sentinel;
pub mod twilio_sandbox;

pub use database::{TestDb, TestStore};
pub use sentinel::Sentinel;
