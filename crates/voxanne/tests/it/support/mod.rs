//! Shared fixtures: a fresh test database per test, a store on it, random sentinel secrets.

#![allow(dead_code, unused_imports)] // until every test module uses the fixtures

pub mod database;
pub mod raw;
pub mod sentinel;
pub mod twilio_sandbox;

pub use database::{TestDb, TestStore};
pub use sentinel::Sentinel;
