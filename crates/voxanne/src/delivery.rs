//! Delivery as one piece the service holds: the outbox, the dispatcher, and its settings.
//!
//! `voxanne serve` and `voxanne demo` build a [`Delivery`] from the store and start it; the
//! HTTP handlers queue through it and wake it. Benchmarks and tests can drive the dispatcher
//! step by step instead ([`Dispatcher::dispatch_once`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dispatch::retry::RetryPolicy;
use crate::dispatch::{Accounts, DispatchConfig, Dispatcher, Running};
use crate::outbox::Outbox;
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
        let http = reqwest::Client::builder()
            .connect_timeout(twilio.connect_timeout)
            .timeout(twilio.timeout)
            .user_agent(twilio.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.concurrency.max(1) * config.workers.max(1))
            .build()
            .map_err(DeliveryError::Http)?;
        let outbox = Outbox::new(store);
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

/// The dispatcher's tunables as settings (`voxanne.toml` keys and `VOXANNE_DISPATCH_*`
/// variables, e.g. `VOXANNE_DISPATCH_LEASE_SECS`). Defaults suit production.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// Worker loops per process.
    pub dispatch_workers: usize,
    /// Messages claimed per batch.
    pub dispatch_batch_size: u32,
    /// Twilio requests in flight per worker.
    pub dispatch_concurrency: usize,
    /// Seconds a claim stays exclusive; keep it above the Twilio timeout.
    pub dispatch_lease_secs: u64,
    /// Milliseconds to wait after an ambiguous send before asking Twilio about it.
    pub dispatch_reconcile_delay_ms: u64,
    /// Seconds without news after which an unfinished message is fetched from Twilio.
    pub dispatch_stuck_after_secs: u64,
    /// Seconds between two runs of the stuck-message reconciler.
    pub dispatch_stuck_interval_secs: u64,
    /// Minutes a message may wait for Twilio before it fails.
    pub dispatch_max_age_minutes: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        let config = DispatchConfig::default();
        Self {
            dispatch_workers: config.workers,
            dispatch_batch_size: config.batch_size,
            dispatch_concurrency: config.concurrency,
            dispatch_lease_secs: config.lease.as_secs(),
            dispatch_reconcile_delay_ms: u64::try_from(config.reconcile_delay.as_millis())
                .unwrap_or(u64::MAX),
            dispatch_stuck_after_secs: config.stuck_after.as_secs(),
            dispatch_stuck_interval_secs: config.stuck_interval.as_secs(),
            dispatch_max_age_minutes: config.retry.max_age.as_secs() / 60,
        }
    }
}

impl DeliverySettings {
    /// The dispatcher configuration, with `public_url` as the StatusCallback base.
    pub fn dispatch_config(&self, public_url: Option<String>) -> DispatchConfig {
        let defaults = DispatchConfig::default();
        DispatchConfig {
            workers: self.dispatch_workers.max(1),
            batch_size: self.dispatch_batch_size.max(1),
            concurrency: self.dispatch_concurrency.max(1),
            lease: Duration::from_secs(self.dispatch_lease_secs.max(1)),
            reconcile_delay: Duration::from_millis(self.dispatch_reconcile_delay_ms),
            stuck_after: Duration::from_secs(self.dispatch_stuck_after_secs.max(1)),
            stuck_interval: Duration::from_secs(self.dispatch_stuck_interval_secs.max(1)),
            retry: RetryPolicy {
                max_age: Duration::from_secs(self.dispatch_max_age_minutes.max(1) * 60),
                ..RetryPolicy::default()
            },
            public_url,
            ..defaults
        }
    }
}
