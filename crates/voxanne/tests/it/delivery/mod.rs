//! Delivery: the outbox store, the dispatcher against the sandbox, and the Sending API.

mod db;
mod outbox_store;
