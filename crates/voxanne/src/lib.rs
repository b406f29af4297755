//! Voxanne: the messaging and credentials backbone of an AI phone receptionist.
//!
//! Each module holds one concept; `cli` wires them to the `voxanne` command.
#![forbid(unsafe_code)]

pub mod cli;
pub mod dispatch;
pub mod ids;
pub mod outbox;
