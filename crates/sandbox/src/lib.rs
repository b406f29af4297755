//! A local stand-in for the parts of Twilio (and Google) that Voxanne uses.
//!
//! No machine of this project reaches the real services, so every feature is built, tested,
//! demonstrated and benchmarked against this server. It must therefore behave like Twilio's REST
//! API 2010-04-01 (same paths, auth, validation codes, bodies, paging, asynchronous delivery and
//! signed status callbacks), so that our client and the official SDKs work against it unchanged
//! but for the base URL. The README next to this crate lists what it implements and where it
//! deliberately differs.
//!
//! Embedding: [`Sandbox::start`] binds, spawns and returns at once; [`Sandbox::shutdown`] stops
//! every task it started.
#![forbid(unsafe_code)]

mod accounts;
mod app;
mod auth;
mod callbacks;
mod control;
mod dates;
mod errors;
mod faults;
pub mod google;
mod ids;
mod lifecycle;
mod messages;
mod numbers;
mod paging;
mod phones;
mod rest;
pub mod scenarios;
pub mod segments;
mod server;
mod wire;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;

/// How to run a sandbox; `Default` gives loopback on a free port and test-friendly delays.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free port (read the result from [`Sandbox::url`]).
    pub listen: SocketAddr,
    /// Time between life-cycle steps (`queued → sending → sent → delivered`).
    pub step_delay: Duration,
    /// How long a `hang` fault holds a request before dropping the connection.
    pub hang_for: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            step_delay: Duration::from_millis(5),
            hang_for: Duration::from_secs(30),
        }
    }
}

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] leaves its tasks to die with the
/// runtime; call `shutdown` for a clean stop.
pub struct Sandbox {
    url: String,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    app: Arc<App>,
}

impl Sandbox {
    /// Binds `config.listen`, spawns the server and the background workers, and returns at once.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let app = App::start(&config, stopped.clone());
        let router = app::router(Arc::clone(&app));
        let server = tokio::spawn(server::serve(listener, router, stopped));
        Ok(Sandbox {
            url: format!("http://{addr}"),
            stop,
            server,
            app,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting connections, closes open ones (after a short grace period) and stops the
    /// life-cycle and callback workers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        self.app.stop_workers().await;
    }
}
