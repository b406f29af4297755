//! The shared state of one sandbox and the HTTP routes that reach it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::any;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::accounts::Directory;
use crate::callbacks::Dispatcher;
use crate::lifecycle::Lifecycle;
use crate::phones::Inboxes;
use crate::{SandboxConfig, control, rest};

/// Everything a request handler may touch. Each part guards itself with short locks, so the
/// create path holds no lock across an await.
pub(crate) struct App {
    pub directory: Directory,
    pub inboxes: Arc<Inboxes>,
    pub lifecycle: Lifecycle,
    pub hang_for: Duration,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl App {
    /// Builds the state and spawns the life-cycle scheduler and the callback workers; they stop
    /// when `stopped` turns true.
    pub fn start(config: &SandboxConfig, stopped: watch::Receiver<bool>) -> Arc<App> {
        let inboxes = Arc::new(Inboxes::default());
        let (callbacks, mut workers) = Dispatcher::start(stopped.clone());
        let (lifecycle, scheduler) =
            Lifecycle::start(config.step_delay, Arc::clone(&inboxes), callbacks, stopped);
        workers.push(scheduler);
        Arc::new(App {
            directory: Directory::default(),
            inboxes,
            lifecycle,
            hang_for: config.hang_for,
            workers: Mutex::new(workers),
        })
    }

    /// Waits for the background workers (they watch the same stop signal as the server).
    pub async fn stop_workers(&self) {
        let workers: Vec<JoinHandle<()>> = std::mem::take(&mut *self.workers.lock());
        for worker in workers {
            let _ = worker.await;
        }
    }
}

/// The whole HTTP surface: Twilio's REST paths, the control API, the phone page.
pub(crate) fn router(app: Arc<App>) -> Router {
    let sandbox = Router::new()
        .route("/2010-04-01", any(rest::not_found))
        .route("/2010-04-01/{*path}", any(rest::handle))
        .route("/v1/Services/{sid}", any(rest::handle_service))
        .nest("/sandbox", control::router())
        .fallback(rest::not_found)
        .with_state(app);
    // The Google Calendar/OAuth stand-in keeps its own state; it shares only the listener.
    sandbox.merge(crate::google::router())
}
