//! Durable, signed delivery of webhook events, with the outbox's discipline: deliveries are rows
//! committed with the state change that raised their event; a worker claims due ones under a
//! lease and a fence, sends each signed, records the attempt, and schedules a retry
//! ([`schedule`]) until the receiver answers 2xx or the schedule runs out. A process killed
//! mid-send loses nothing: its claims come due again when their lease ends, and the retry
//! carries the same `webhook-id`, so a receiver that did get the first one can tell.

mod schedule;
mod send;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use self::schedule::next_step;
use crate::store::{Store, StoreError};
use crate::webhooks::address::{AddressPolicy, GuardedResolver};

/// How long one request may take, start to end.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a claim is exclusive: above the request timeout, so a live worker keeps it; a dead
/// worker's claim comes due again this long after it was taken.
pub const LEASE: Duration = Duration::from_secs(20);

/// Deliveries claimed per step, and sent concurrently.
const BATCH: u32 = 16;

/// The longest sleep between two looks at the queue when nothing is due (events raised by
/// another process, or by a path that does not wake this one, wait at most this long).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The shortest sleep between two empty looks, so a row that is due but cannot be claimed (its
/// lease held by another process) never makes the loop spin.
const MIN_WAIT: Duration = Duration::from_millis(20);

/// The webhook settings of the server (`allow_insecure_webhooks`, `webhook_retry_schedule_secs`,
/// `webhook_disable_after_secs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub policy: AddressPolicy,
    /// The wait before each retry; the delivery gives up when it runs out.
    pub retry_schedule: Vec<Duration>,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
}

/// The default retry schedule: about 27 hours in all, which outlasts a day of receiver outage.
pub const DEFAULT_RETRY_SCHEDULE_SECS: &[u64] = &[5, 300, 1800, 7200, 18000, 36000, 36000];

/// Five days.
pub const DEFAULT_DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::default(),
            retry_schedule: DEFAULT_RETRY_SCHEDULE_SECS
                .iter()
                .map(|secs| Duration::from_secs(*secs))
                .collect(),
            disable_after: DEFAULT_DISABLE_AFTER,
        }
    }
}

/// Why the delivery side cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookDeliveryError {
    #[error("cannot build the HTTP client for webhooks")]
    Http(#[source] reqwest::Error),
}

/// The webhook sender of one process. Cheap to clone.
#[derive(Clone)]
pub struct WebhookDelivery {
    store: Store,
    client: reqwest::Client,
    config: Arc<WebhookConfig>,
    wake: Arc<Notify>,
    worker: Arc<str>,
}

impl WebhookDelivery {
    /// A sender whose client follows no redirect, times out after [`REQUEST_TIMEOUT`] and
    /// connects only to addresses `config.policy` allows.
    pub fn new(store: &Store, config: WebhookConfig) -> Result<Self, WebhookDeliveryError> {
        let resolver = GuardedResolver::new(config.policy);
        Self::with_resolver(store, config, resolver)
    }

    /// The same with the resolver given (one that answers some names from a table, in tests of
    /// a name that resolves to an internal address at delivery time). Its policy is the one
    /// applied to every address it returns.
    pub fn with_resolver(
        store: &Store,
        config: WebhookConfig,
        resolver: GuardedResolver,
    ) -> Result<Self, WebhookDeliveryError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("Voxanne-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(resolver))
            .build()
            .map_err(WebhookDeliveryError::Http)?;
        Ok(Self {
            store: store.clone(),
            client,
            config: Arc::new(config),
            wake: Arc::new(Notify::new()),
            worker: format!("whw_{}", uuid::Uuid::new_v4().simple()).into(),
        })
    }

    pub fn policy(&self) -> AddressPolicy {
        self.config.policy
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Looks at the queue now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Claims due deliveries and attempts each once; returns how many were claimed.
    pub async fn deliver_once(&self) -> Result<usize, StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        let lease_until = now + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        let claims = self
            .store
            .claim_webhook_deliveries(&self.worker, now, lease_until, BATCH)
            .await?;
        let claimed = claims.len();
        let results: Vec<Result<bool, StoreError>> = futures::stream::iter(claims)
            .map(|claim| async move {
                let report = send::attempt(&self.client, self.config.policy, &claim).await;
                let ok = report
                    .status_code
                    .is_some_and(|code| (200..300).contains(&code));
                let next = next_step(&self.config.retry_schedule, claim.attempts, ok, report.at);
                let disable_before = report.at
                    - i64::try_from(self.config.disable_after.as_millis()).unwrap_or(i64::MAX);
                self.store
                    .settle_webhook_delivery(&claim, &report, next, disable_before)
                    .await
            })
            .buffer_unordered(BATCH as usize)
            .collect()
            .await;
        for result in results {
            match result {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    "stale webhook claim: a newer worker owns this delivery; outcome dropped"
                ),
                Err(err) => return Err(err),
            }
        }
        Ok(claimed)
    }

    /// Starts the worker loop.
    pub fn start(&self) -> WebhookRunning {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.clone().work(stopped));
        WebhookRunning { stop, task }
    }

    async fn work(self, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let idle = match self.deliver_once().await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => self.idle_wait().await,
                Err(err) => {
                    tracing::error!(error = %err, "webhook delivery step failed; retrying shortly");
                    IDLE_POLL
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Until the next due delivery, at most [`IDLE_POLL`].
    async fn idle_wait(&self) -> Duration {
        match self.store.next_webhook_due().await {
            Ok(Some(due)) => {
                let wait = due.saturating_sub(chrono::Utc::now().timestamp_millis());
                Duration::from_millis(u64::try_from(wait).unwrap_or(0)).clamp(MIN_WAIT, IDLE_POLL)
            }
            Ok(None) | Err(_) => IDLE_POLL,
        }
    }
}

/// The running worker; [`WebhookRunning::stop`] ends it after its current step.
pub struct WebhookRunning {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WebhookRunning {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
