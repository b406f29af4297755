//! The HTTP service: the credentials API, organization settings, health, metrics and docs.
pub mod docs;
pub mod error;
pub mod json;
pub mod metrics;
pub mod request_id;
pub mod status_callbacks;
