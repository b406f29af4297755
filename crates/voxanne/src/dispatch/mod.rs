//! The dispatcher: takes due messages from the outbox to each clinic's own Twilio account.
//!
//! A worker claims a batch of due rows under a lease, sends them concurrently (never inside a
//! database transaction), and settles the outcomes in one transaction per chunk, each under its
//! fencing token. Tests drive it step by step with [`Dispatcher::dispatch_once`]; the service
//! runs [`Dispatcher::start`], whose workers sleep until [`Dispatcher::wake`] (called when a
//! message is queued) or the next due time.
//!
//! Failed sends are sorted by [`retry`]: "not processed" answers (429, 503, a refused
//! connection) are retried with backoff; ambiguous ones (500, 502, 504, a timeout or reset after
//! the request was written) are reconciled against the account's message list before anything
//! is sent again; refusals fail at once with their reason.

mod attempt;
pub mod retry;
mod running;
mod stuck;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Notify;

pub use crate::twilio_account::{Account, Accounts, Unusable};
pub use attempt::classify;
pub use running::Running;

use crate::backoff::Backoff;
use crate::ids::{CredentialId, OrgId};
use crate::outbox::{Claim, Outbox, OutboxError, Outcome, millis, now_ms};
use crate::store::{Store, VerificationStatus};
use retry::RetryPolicy;

/// How the dispatcher paces itself. [`DispatchConfig::default`] suits production; tests shrink
/// the delays.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// Names this process in `lease_owner` (for operators; correctness rests on the fence).
    pub worker_id: String,
    /// Rows claimed per batch.
    pub batch_size: u32,
    /// Twilio requests in flight per worker.
    pub concurrency: usize,
    /// Worker loops per process.
    pub workers: usize,
    /// How long a claim is exclusive. Must exceed the Twilio client's timeout, or a slow send
    /// could be reconciled (and resent) while still in flight.
    pub lease: Duration,
    /// How often this process says it is alive (its claims are tied to it).
    pub heartbeat_interval: Duration,
    /// A process silent this long is taken for dead: its claims are freed at once, without
    /// waiting out their lease (a send it had in flight is reconciled, never resent blindly).
    pub silent_after: Duration,
    /// Longest idle sleep (new messages wake the workers at once anyway).
    pub idle_poll: Duration,
    /// Wait after an ambiguous send before asking Twilio about it.
    pub reconcile_delay: Duration,
    /// A message short of a final status and quiet this long is fetched from Twilio.
    pub stuck_after: Duration,
    /// How often the stuck-message reconciler runs.
    pub stuck_interval: Duration,
    /// Messages older than this are no longer followed by the reconciler.
    pub stuck_horizon: Duration,
    pub retry: RetryPolicy,
    /// Our public base URL, for `StatusCallback` (`None`: no callbacks; the reconciler fetches).
    pub public_url: Option<String>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("pid{}-{:08x}", std::process::id(), rand::random::<u32>()),
            batch_size: 256,
            concurrency: 64,
            workers: 2,
            lease: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(1),
            silent_after: Duration::from_secs(5),
            idle_poll: Duration::from_secs(1),
            reconcile_delay: Duration::from_secs(10),
            stuck_after: Duration::from_secs(10 * 60),
            stuck_interval: Duration::from_secs(60),
            stuck_horizon: Duration::from_secs(48 * 60 * 60),
            retry: RetryPolicy::default(),
            public_url: None,
        }
    }
}

/// What one [`Dispatcher::dispatch_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub accepted: usize,
    pub adopted: usize,
    pub retried: usize,
    pub failed: usize,
    pub reconciling: usize,
    pub needs_attention: usize,
    pub paused: usize,
    /// Outcomes refused because a newer worker holds the message.
    pub stale: usize,
}

/// Why a dispatch step failed as a whole (single messages never fail the step).
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("the outbox is unavailable")]
    Outbox(#[from] OutboxError),
}

/// Sends queued messages. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    outbox: Outbox,
    store: Store,
    accounts: Accounts,
    config: DispatchConfig,
    wake: Notify,
}

impl Dispatcher {
    pub fn new(store: Store, outbox: Outbox, accounts: Accounts, config: DispatchConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                outbox,
                store,
                accounts,
                config,
                wake: Notify::new(),
            }),
        }
    }

    /// Tells an idle worker that a message was queued (it claims it within milliseconds).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    pub fn config(&self) -> &DispatchConfig {
        &self.inner.config
    }

    /// Claims one batch of due messages, attempts each, and records the outcomes.
    #[tracing::instrument(skip_all, fields(worker = %self.inner.config.worker_id))]
    pub async fn dispatch_once(&self) -> Result<DispatchReport, DispatchError> {
        let config = &self.inner.config;
        let now = now_ms();
        let lease_until = now.saturating_add(millis(config.lease));
        let claims = self
            .outbox()
            .claim_due(&config.worker_id, now, lease_until, config.batch_size)
            .await?;
        let mut report = DispatchReport {
            claimed: claims.len(),
            ..DispatchReport::default()
        };
        if claims.is_empty() {
            return Ok(report);
        }
        // One credential lookup per batch, not per message.
        let mut accounts: HashMap<String, Result<Arc<Account>, Arc<Unusable>>> = HashMap::new();
        for claim in &claims {
            if !accounts.contains_key(&claim.credential_id) {
                let account = self.account_for(claim).await.map_err(Arc::new);
                accounts.insert(claim.credential_id.clone(), account);
            }
        }
        let accounts = Arc::new(accounts);
        // Each attempt runs as its own task: it keeps making progress (and releases any pool
        // connection it holds) while this loop awaits a settlement, so attempts can never
        // starve the settlement of connections.
        let mut chunks = futures::stream::iter(claims)
            .map(|claim| {
                let accounts = accounts.clone();
                let dispatcher = self.clone();
                let fallback = claim.clone();
                let task = tokio::spawn(async move {
                    let outcome = match accounts.get(&claim.credential_id) {
                        Some(Ok(account)) => dispatcher.attempt(&claim, account).await,
                        Some(Err(unusable)) => dispatcher.unusable_outcome(unusable),
                        None => Outcome::Retry {
                            due_at: now_ms(),
                            cause: "credential not looked up".to_owned(),
                            attempted: false,
                            code: None,
                        },
                    };
                    (claim, outcome)
                });
                async move {
                    task.await.unwrap_or_else(|err| {
                        // A panicked attempt may have reached Twilio: ask before sending again.
                        tracing::error!(message_id = %fallback.message_id, error = %err, "send attempt panicked");
                        let outcome = Outcome::Reconcile { due_at: now_ms(), cause: "internal error during the attempt".to_owned(), attempted: true, code: None };
                        (fallback, outcome)
                    })
                }
            })
            .buffer_unordered(config.concurrency.max(1))
            .ready_chunks(config.batch_size.max(1) as usize);
        while let Some(chunk) = chunks.next().await {
            let applied = self.settle_patiently(&chunk, lease_until).await?;
            for ((claim, outcome), applied) in chunk.iter().zip(applied) {
                if !applied {
                    report.stale += 1;
                    continue;
                }
                self.count(&mut report, outcome);
                if let Outcome::PauseCredential { reason, .. } = outcome {
                    self.fail_credential(claim, reason).await;
                }
            }
        }
        Ok(report)
    }

    /// Records a chunk's outcomes, trying again while the database cannot be reached: the
    /// attempts were made, and an outcome dropped here would leave its message claimed by this
    /// (live) process until the lease ends, a minute late. Past the lease the fence refuses the
    /// write anyway, and the next claim asks Twilio before sending again.
    async fn settle_patiently(
        &self,
        chunk: &[(Claim, Outcome)],
        lease_until: i64,
    ) -> Result<Vec<bool>, OutboxError> {
        let mut attempt = 1;
        loop {
            let wait = Backoff::DATABASE_OUTAGE.ceiling(attempt);
            match self.outbox().settle(chunk, now_ms()).await {
                Ok(applied) => return Ok(applied),
                Err(err) if now_ms().saturating_add(millis(wait)) < lease_until => {
                    tracing::warn!(error = %err, outcomes = chunk.len(), "recording send outcomes failed; trying again");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    fn count(&self, report: &mut DispatchReport, outcome: &Outcome) {
        match outcome {
            Outcome::Accepted { adopted: true, .. } => report.adopted += 1,
            Outcome::Accepted { .. } => report.accepted += 1,
            Outcome::Retry { .. } => report.retried += 1,
            Outcome::Failed { .. } => report.failed += 1,
            Outcome::Reconcile { .. } => report.reconciling += 1,
            Outcome::NeedsAttention { .. } => report.needs_attention += 1,
            Outcome::PauseCredential { .. } => report.paused += 1,
        }
    }

    async fn account_for(&self, claim: &Claim) -> Result<Arc<Account>, Unusable> {
        let (org, credential) = ids_of(claim)?;
        self.accounts().get(&org, &credential).await
    }

    /// A message whose credential cannot send: fail it if nothing can fix that, hold it
    /// (paused) if someone can, retry soon if the store hiccupped.
    fn unusable_outcome(&self, unusable: &Unusable) -> Outcome {
        let reason = unusable.to_string();
        if unusable.is_transient() {
            return Outcome::Retry {
                due_at: now_ms().saturating_add(1000),
                cause: reason,
                attempted: false,
                code: None,
            };
        }
        if unusable.is_final() {
            return Outcome::Failed {
                code: None,
                reason,
                attempted: false,
            };
        }
        Outcome::PauseCredential {
            reason,
            attempted: false,
        }
    }

    /// 20003: Twilio refused the credential. Mark it `failed` so the API refuses new messages
    /// through it and the dashboard shows why; its queue is already paused.
    async fn fail_credential(&self, claim: &Claim, reason: &str) {
        let Ok((org, credential)) = ids_of(claim) else {
            return;
        };
        self.accounts().invalidate(&credential);
        let Ok(current) = self.inner.store.get_credential(&org, &credential).await else {
            return;
        };
        if current.verification_status != VerificationStatus::Unverified
            && current.verification_status != VerificationStatus::Verified
        {
            return;
        }
        let report = serde_json::json!({
            "status": "failed",
            "source": "dispatcher",
            "checks": [{"id": "send", "status": "fail", "message": reason, "twilio_code": 20003,
                        "hint": "Update the Auth Token or API key of this credential, then verify it again."}],
        });
        if let Err(err) = self
            .inner
            .store
            .record_verification(&org, &credential, VerificationStatus::Failed, &report)
            .await
        {
            tracing::warn!(credential_id = %credential, error = %err, "could not mark the credential failed");
        }
    }
}

/// The typed ids of a claim (they were valid when stored).
fn ids_of(claim: &Claim) -> Result<(OrgId, CredentialId), Unusable> {
    let org = OrgId::parse(&claim.org_id);
    let credential = CredentialId::parse(&claim.credential_id);
    match (org, credential) {
        (Ok(org), Ok(credential)) => Ok((org, credential)),
        _ => Err(Unusable::Malformed),
    }
}
