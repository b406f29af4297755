//! The service the in-process benchmarks (`delivery`, `dashboard`, `booking`) measure: the
//! in-process sandbox, a fresh master key and a database of the run's own (a fresh key cannot
//! open an earlier run's store), `serve` on a loopback port with the rate limit out of the way,
//! and one clinic with an API key. [`Service::stop`] takes it all down again.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use sandbox::{Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::children::Database;
use crate::app as server;
use crate::config::Settings;
use crate::demo::{add_verified_credential, sandbox_account};
use crate::google_connection::demo as google_demo;
use crate::ids::CredentialId;
use crate::services::Services;
use crate::store::Organization;
use crate::vault::MasterKey;

/// What a benchmark needs of its service.
pub struct Setup<'a> {
    /// Names the run's temporary folder and database (`voxanne_bench_<tag>_<pid>`).
    pub tag: &'a str,
    /// `postgres://…` of a server where the run may create (and drop) its database; `None`: SQLite.
    pub database_url: Option<&'a str>,
    /// The sandbox's simulated carrier: the time between a text's life-cycle steps.
    pub step_delay: Duration,
    /// Whether to register an OAuth client with the sandbox's Google stand-in and configure it.
    pub google: bool,
}

/// A running service with its sandbox and one clinic ("Bench Clinic").
pub struct Service {
    /// Where the service listens (`http://127.0.0.1:PORT`).
    pub url: String,
    pub sandbox_url: String,
    /// `Sqlite` or `Postgres`, as the store reports it.
    pub backend: String,
    pub services: Services,
    pub org: Organization,
    pub api_key: SecretString,
    sandbox: Sandbox,
    dir: PathBuf,
    database: Database,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<std::io::Result<()>>,
}

impl Service {
    pub async fn start(setup: Setup<'_>) -> anyhow::Result<Self> {
        let sandbox = Sandbox::start(SandboxConfig {
            step_delay: setup.step_delay,
            ..SandboxConfig::default()
        })
        .await
        .context("starting the sandbox")?;
        let sandbox_url = sandbox.url().to_owned();
        let dir = std::env::temp_dir().join(format!(
            "voxanne-bench-{}-{}",
            setup.tag,
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let key_file = dir.join("master.key");
        std::fs::write(&key_file, MasterKey::generate().to_base64().expose_secret())?;
        let database = Database::create(setup.database_url, &dir, setup.tag).await?;

        // The port is bound now: the public URL (status callbacks, OAuth's redirect) names it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let mut settings = Settings {
            data_dir: dir.clone(),
            database_url: Some(database.url.clone()),
            master_key_file: Some(key_file),
            ..Settings::default()
        };
        let server_settings = &mut settings.server;
        server_settings.twilio_base_url = sandbox_url.clone();
        server_settings.public_url = Some(url.clone());
        // The benchmarks measure the service, not the per-key rate limit.
        server_settings.rate_limit_per_second = std::num::NonZeroU32::MIN.saturating_add(100_000);
        server_settings.rate_limit_burst = std::num::NonZeroU32::MIN.saturating_add(100_000);
        if setup.google {
            let (client_id, client_secret) = google_demo::register_sandbox_client(
                &sandbox_url,
                &format!("{url}/oauth/google/callback"),
            )
            .await?;
            server_settings.google_base_url = Some(sandbox_url.clone());
            server_settings.google_client_id = Some(client_id);
            server_settings.google_client_secret = Some(client_secret);
        }
        let state = server::app_state(&settings)
            .await
            .context("starting the service")?;
        let services = state.services.clone();
        let backend = format!("{:?}", services.store.backend());
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(server::serve(listener, state, async move {
            let _ = stopped.await;
        }));

        let org = services.store.create_organization("Bench Clinic").await?;
        let (_record, api_key) = services.store.create_api_key(&org.id).await?;
        Ok(Self {
            url,
            sandbox_url,
            backend,
            api_key: api_key.secret().clone(),
            services,
            org,
            sandbox,
            dir,
            database,
            stop,
            serving,
        })
    }

    /// A Twilio account in the sandbox with the clinic's number, added to the clinic through the
    /// API and verified, as the demo does.
    pub async fn add_twilio_account(&self) -> anyhow::Result<CredentialId> {
        let account = sandbox_account(&self.sandbox_url).await?;
        let credential = add_verified_credential(&self.url, &self.api_key, &account).await?;
        CredentialId::parse(&credential).context("credential id")
    }

    /// Stops serving (finishing the requests in flight), then the store and the sandbox, and drops
    /// the run's database and folder.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        let _ = self.serving.await;
        self.services.store.close().await;
        self.sandbox.shutdown().await;
        self.database.drop_now().await?;
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}
