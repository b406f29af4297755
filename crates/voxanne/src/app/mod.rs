//! The composition root: builds everything `voxanne serve` runs from the settings (master keys,
//! store, Twilio and Google clients, outbox and dispatcher, the use cases' [`Services`] and the
//! HTTP router), and serves it until shutdown. It sits above every other module; nothing below
//! imports it.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{LogFormat, ServeError, Settings};
use crate::http::AppState;
use crate::services::Services;

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Settings(#[from] ServeError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Delivery(#[from] crate::delivery::DeliveryError),
    #[error(transparent)]
    Webhooks(#[from] crate::webhook_delivery::WebhookDeliveryError),
}

impl StartError {
    /// A configuration mistake (exit code 2) rather than an outage (exit code 1).
    pub fn is_usage(&self) -> bool {
        use crate::store::StoreError;
        matches!(
            self,
            StartError::Config(_)
                | StartError::Settings(
                    ServeError::BadUrl { .. }
                        | ServeError::BadSetting { .. }
                        | ServeError::Google(_)
                )
                | StartError::Store(
                    StoreError::WrongMasterKey { .. } | StoreError::UnsupportedDatabaseUrl { .. }
                )
        )
    }
}

/// Everything the server needs, proven usable: settings checked, master keys loaded, database
/// connected and migrated, and the keys shown to open it. Runs before any port is bound.
pub async fn app_state(settings: &Settings) -> Result<AppState, StartError> {
    let server = &settings.server;
    let keyring = settings.keyring()?;
    let twilio = server.twilio_config()?;
    let public_url = server
        .public_url()?
        .map(|url| url.as_str().trim_end_matches('/').to_owned());
    let url = settings.resolved_database_url()?;
    let store = crate::store::Store::open(&url, keyring).await?;
    let sweep = store.sweep_undecryptable().await?;
    if sweep.marked > 0 || sweep.restored > 0 {
        tracing::warn!(
            marked_undecryptable = sweep.marked,
            restored_to_unverified = sweep.restored,
            "the configured master keys changed which credentials can be opened"
        );
    }
    let google = crate::google_connection::GoogleConnections::from_settings(
        server,
        store.clone(),
        public_url.as_deref(),
    )?;
    let delivery = crate::delivery::Delivery::new(
        &store,
        twilio,
        settings.delivery.dispatch_config(public_url.clone()),
    )?;
    let webhooks = crate::webhook_delivery::WebhookDelivery::new(&store, server.webhook_config()?)?;
    let services = Services {
        store,
        delivery,
        google,
        metrics: crate::metrics::Metrics::new(),
        webhooks,
    };
    Ok(AppState {
        services,
        limiter: crate::http::rate_limit::KeyLimiter::new(server.rate_limit()),
        body_limit: server.body_limit_bytes,
        dashboard_url: server.dashboard_url(public_url.as_deref())?,
        public_url,
        reverify: crate::reverify::Schedule {
            interval: server.reverify_interval(),
        },
    })
}

/// Installs the global log subscriber. Log lines never carry secrets or full phone numbers: the
/// request middleware logs only method, route, status and latency, and the store and check code
/// log ids and masked numbers.
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VOXANNE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init` fails only when a subscriber is already installed (tests): keep that one.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limiter = state.limiter.clone();
    // Idle keys are dropped from the limiter's table now and then, so it does not grow forever.
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiter.forget_idle();
        }
    });
    // The dispatcher runs as long as the server: it sends what the API queues.
    let dispatcher = state.services.delivery.start();
    let reverifier = crate::reverify::start(state.services.clone(), state.reverify);
    // Appointments a crash or a lost answer left unsettled are settled in the background.
    let bookings = crate::booking::reconcile::start(state.services.clone());
    // So does the webhook sender: it sends the events the state changes raise.
    let webhooks = state.services.webhooks.start();
    // With the peer address, for the audit log's source IP and per-address sign-in limits.
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    bookings.stop().await;
    dispatcher.stop().await;
    reverifier.stop().await;
    webhooks.stop().await;
    result
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
