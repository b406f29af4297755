//! The dispatcher: takes due messages from the outbox to each clinic's own Twilio account.

pub mod retry;
