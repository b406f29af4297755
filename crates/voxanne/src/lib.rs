//! Voxanne: the messaging and credentials backbone of an AI phone receptionist.
//!
//! Each module holds one concept. Layers, top to bottom (a module imports only from below it):
//! - composition root: `app` (builds everything from `config`), `cli` (the `voxanne` command)
//! - adapters: `http` (the JSON API and Twilio's status callbacks), `dashboard` (the clinic's pages)
//! - use cases: `credentials`, `messaging`, `calendar`, `org_settings`, `team`, `api_keys`, `webhooks`,
//!   `activity` (the audit log), `traffic` (the overview's counts), with `tenant` (who asks)
//!   and `services` (what they work with)
//! - engines: `dispatch` and `delivery` (the outbox's sender), `google_connection`,
//!   `twilio_account`, `check` (the Phase 0 suite), `reverify` (scheduled re-verification), `webhook_delivery`
//!   (signed event webhooks)
//! - persistence: `store`, `outbox`, `vault`
//! - domain values: `ids`, `phone`, `sms`, `hot_lead`, `field`, `verification`, `api_key`, `password`,
//!   `masking`
#![forbid(unsafe_code)]

pub mod activity;
pub mod api_key;
pub mod api_keys;
pub mod app;
pub mod backoff;
pub mod bench;
pub mod booking;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod dashboard;
pub mod delivery;
pub mod demo;
pub mod dispatch;
pub mod field;
pub mod google;
pub mod google_connection;
pub mod hot_lead;
pub mod http;
pub mod ids;
pub mod masking;
pub mod messaging;
pub mod metrics;
pub mod opening_hours;
pub mod org_settings;
pub mod outbox;
pub mod password;
pub mod phone;
pub mod quota;
pub mod reverify;
pub mod services;
pub mod sms;
pub mod store;
pub mod team;
pub mod tenant;
pub mod traffic;
pub mod twilio_account;
pub mod vault;
pub mod verification;
pub mod webhook_delivery;
pub mod webhooks;
