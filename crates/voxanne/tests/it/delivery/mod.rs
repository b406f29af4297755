//! Delivery: the outbox store, the dispatcher against the sandbox, and the Sending API.

mod callbacks;
mod db;
mod dispatch;
mod outbox_store;
mod world;
