//! Delivery: the outbox store, the dispatcher against the sandbox, the Sending API, and real
//! `voxanne serve` processes.

mod api;
mod callbacks;
mod dispatch;
mod outbox_store;
mod retry_classes;
mod settling;
mod world;
