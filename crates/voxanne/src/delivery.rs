//! Delivery as one piece the service holds: the outbox, the dispatcher, and its settings.
//!
//! `voxanne serve` and `voxanne demo` build a [`Delivery`] from the store and start it; the
//! HTTP handlers queue through it and wake it. Benchmarks and tests can drive the dispatcher
//! step by step instead ([`Dispatcher::dispatch_once`]).

use crate::dispatch::{Accounts, DispatchConfig, Dispatcher, Running};
use crate::outbox::{Db, Outbox};
use crate::store::Store;

/// The sending side of the service. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    outbox: Outbox,
    dispatcher: Dispatcher,
}

/// Why delivery cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the store has neither a SQLite nor a PostgreSQL pool")]
    NoPool,
    #[error("cannot build the HTTP client for Twilio")]
    Http(#[source] reqwest::Error),
}

impl Delivery {
    /// Builds the outbox on the store's database and a dispatcher whose Twilio clients talk to
    /// `twilio.base_url` (real Twilio, or the sandbox). Nothing runs until [`Delivery::start`].
    pub fn new(
        store: &Store,
        twilio: twilio::Config,
        config: DispatchConfig,
    ) -> Result<Self, DeliveryError> {
        let db = match (store.sqlite_pool(), store.postgres_pool()) {
            (Some(pool), _) => Db::Sqlite(pool.clone()),
            (None, Some(pool)) => Db::Postgres(pool.clone()),
            (None, None) => return Err(DeliveryError::NoPool),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(twilio.connect_timeout)
            .timeout(twilio.timeout)
            .user_agent(twilio.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.concurrency.max(1) * config.workers.max(1))
            .build()
            .map_err(DeliveryError::Http)?;
        let outbox = Outbox::new(db);
        let accounts = Accounts::new(store.clone(), twilio, http);
        let dispatcher = Dispatcher::new(store.clone(), outbox.clone(), accounts, config);
        Ok(Self { outbox, dispatcher })
    }

    /// Starts the dispatcher's background workers and reconciler.
    pub fn start(&self) -> Running {
        self.dispatcher.start()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
}
