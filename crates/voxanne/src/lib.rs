//! Voxanne: the messaging and credentials backbone of an AI phone receptionist.
//!
//! Each module holds one concept; `cli` wires them to the `voxanne` command.
#![forbid(unsafe_code)]

pub mod activity;
pub mod api_key;
pub mod api_keys;
pub mod bench;
pub mod check;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod delivery;
pub mod demo;
pub mod dispatch;
pub mod google;
pub mod google_connection;
pub mod hot_lead;
pub mod http;
pub mod ids;
pub mod outbox;
pub mod password;
pub mod phone;
pub mod sms;
pub mod store;
pub mod team;
pub mod vault;
