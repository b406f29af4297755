//! The dispatcher as background tasks: worker loops and the stuck-message reconciler.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Dispatcher;
use crate::outbox::{millis, now_ms};

/// The running background tasks; [`Running::stop`] ends them after their current step.
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Asks every task to stop and waits for them (each finishes the step it is in, so no
    /// claim is abandoned half-recorded).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

impl Dispatcher {
    /// Spawns the heartbeat, `config.workers` worker loops and the stuck-message reconciler
    /// (which first catches up on every message left unfinished before this start).
    pub fn start(&self) -> Running {
        let started_at = now_ms();
        let (stop, stopped) = watch::channel(false);
        let mut tasks: Vec<JoinHandle<()>> = (0..self.config().workers.max(1))
            .map(|_| tokio::spawn(self.clone().work(stopped.clone())))
            .collect();
        tasks.push(tokio::spawn(self.clone().heartbeat(stopped.clone())));
        tasks.push(tokio::spawn(self.clone().watch_stuck(started_at, stopped)));
        Running { stop, tasks }
    }

    /// Says every `heartbeat_interval` that this process is alive, and frees the claims of
    /// processes silent for `silent_after` (a crashed one's messages go out within seconds).
    /// A heartbeat that fails means the database is unreachable: when one succeeds again, every
    /// unfinished message is caught up on, since the callbacks Twilio sent meanwhile were refused
    /// and Twilio does not send them again.
    async fn heartbeat(self, mut stopped: watch::Receiver<bool>) {
        let config = self.config();
        let worker = config.worker_id.clone();
        let mut unreachable = false;
        while !*stopped.borrow() {
            let now = now_ms();
            match self.outbox().heartbeat(&worker, now).await {
                Err(err) => {
                    tracing::warn!(error = %err, "heartbeat failed; retrying");
                    unreachable = true;
                }
                Ok(()) if unreachable => {
                    unreachable = false;
                    tokio::spawn(
                        self.clone()
                            .catch_up_after(now, "the database was unreachable"),
                    );
                }
                Ok(()) => {}
            }
            match self
                .outbox()
                .free_dead_claims(now.saturating_sub(millis(config.silent_after)), now)
                .await
            {
                Ok(None) => {}
                Ok(Some(freed)) => {
                    tracing::warn!(freed, "claims of a silent dispatcher were freed");
                    self.wake();
                    // Twilio's callbacks for what the silent process sent went to it and are lost:
                    // catch up on every unfinished message now, as a start does (apart, so the
                    // heartbeat keeps its beat however long that takes).
                    tokio::spawn(self.clone().catch_up_after(now, "a dispatcher fell silent"));
                }
                Err(err) => tracing::warn!(error = %err, "freeing silent workers' claims failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(config.heartbeat_interval) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Catches up on every unfinished message not updated since `since`, after `what`.
    async fn catch_up_after(self, since: i64, what: &'static str) {
        match self.catch_up(since).await {
            Ok(0) => {}
            Ok(advanced) => tracing::info!(advanced, after = what, "statuses caught up"),
            Err(err) => {
                tracing::warn!(error = %err, after = what, "catching up on statuses failed")
            }
        }
    }

    async fn work(self, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let idle = match self.dispatch_once().await {
                Ok(report) if report.claimed > 0 => continue,
                Ok(_) => self.idle_wait().await,
                Err(err) => {
                    tracing::error!(error = %err, "dispatch step failed; retrying shortly");
                    self.config().idle_poll
                }
            };
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Sleep until the next due row, at most `idle_poll`.
    async fn idle_wait(&self) -> Duration {
        let poll = self.config().idle_poll;
        match self.outbox().next_due().await {
            Ok(Some(due)) => {
                let wait = u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0);
                Duration::from_millis(wait).min(poll)
            }
            Ok(None) | Err(_) => poll,
        }
    }

    async fn watch_stuck(self, started_at: i64, mut stopped: watch::Receiver<bool>) {
        match self.catch_up(started_at).await {
            Ok(0) => {}
            Ok(advanced) => tracing::info!(advanced, "statuses caught up after the start"),
            Err(err) => {
                tracing::warn!(error = %err, "catching up on statuses after the start failed")
            }
        }
        while !*stopped.borrow() {
            if let Err(err) = self.reconcile_stuck_once().await {
                tracing::warn!(error = %err, "stuck-message reconciliation failed; retrying later");
            }
            match self.outbox().resume_fixed_credentials(now_ms()).await {
                Ok(0) => {}
                Ok(resumed) => {
                    tracing::info!(
                        resumed,
                        "credentials were fixed; their held messages are queued again"
                    );
                    self.wake();
                }
                Err(err) => tracing::warn!(error = %err, "resuming fixed credentials failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.config().stuck_interval) => {}
                _ = stopped.changed() => {}
            }
        }
    }
}
