//! The dispatcher as background tasks: worker loops and the stuck-message reconciler.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Dispatcher;
use crate::outbox::now_ms;

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
    /// Spawns `config.workers` worker loops and the stuck-message reconciler.
    pub fn start(&self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let mut tasks: Vec<JoinHandle<()>> = (0..self.config().workers.max(1))
            .map(|_| tokio::spawn(self.clone().work(stopped.clone())))
            .collect();
        tasks.push(tokio::spawn(self.clone().watch_stuck(stopped)));
        Running { stop, tasks }
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

    async fn watch_stuck(self, mut stopped: watch::Receiver<bool>) {
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
