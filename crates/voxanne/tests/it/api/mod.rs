//! The HTTP API, end to end: the real server on a loopback port, a fresh database, and the
//! Twilio sandbox standing in for Twilio.

pub mod app;
mod audit;
mod basics;
mod credentials;
mod hardening;
mod isolation;
mod numbers;
mod openapi;
mod primary;
mod quota;
mod secret_shapes;
mod serve_command;
mod settings;
mod verify;
