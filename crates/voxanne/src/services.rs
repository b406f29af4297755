//! What the use cases work with, built once by the composition root ([`crate::app`]): the store,
//! the outbox and its dispatcher, the Twilio accounts, Google Calendar and the metrics.

use crate::delivery::Delivery;
use crate::google_connection::GoogleSetup;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::twilio_account::Accounts;
use crate::webhook_delivery::WebhookDelivery;

/// The use cases' dependencies (each cheap to clone: pools and `Arc`s inside).
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    /// The outbox and its dispatcher (started by the server).
    pub delivery: Delivery,
    /// Google Calendar connections, or why they are not configured.
    pub google: GoogleSetup,
    pub metrics: Metrics,
    /// The webhook sender (started by the server) and its settings.
    pub webhooks: WebhookDelivery,
}

impl Services {
    /// The clinics' Twilio accounts, shared with the dispatcher (one client cache).
    pub fn accounts(&self) -> &Accounts {
        self.delivery.dispatcher().accounts()
    }
}
