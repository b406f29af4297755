//! `voxanne serve`: run the HTTP API.
//!
//! Start-up order matters: settings, master keys and the database (with its key check) are all
//! proven good *before* the port is bound, so a misconfigured server never accepts a request.
//! Once bound it prints `voxanne listening on http://ADDR` on stdout (tests and scripts wait for
//! that line), and it stops gracefully on Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::app as server;
use crate::config::{Overrides, Settings};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the bound URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Configuration file (default: ./voxanne.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB` (or VOXANNE_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
    /// Twilio's REST origin (or VOXANNE_TWILIO_BASE_URL); default https://api.twilio.com.
    #[arg(long)]
    twilio_base_url: Option<String>,
    /// The public base URL Twilio calls back to (or VOXANNE_PUBLIC_URL).
    #[arg(long)]
    public_url: Option<String>,
    /// Google's OAuth and Calendar endpoints under one base, i.e. the sandbox's Google stand-in
    /// (or VOXANNE_GOOGLE_BASE_URL); unset means Google itself. The OAuth client comes from
    /// VOXANNE_GOOGLE_CLIENT_ID and VOXANNE_GOOGLE_CLIENT_SECRET.
    #[arg(long)]
    google_base_url: Option<String>,
    /// Largest request body accepted, in bytes; larger bodies get 413 (or
    /// VOXANNE_BODY_LIMIT_BYTES). Default 65536.
    #[arg(long, value_name = "BYTES")]
    body_limit_bytes: Option<usize>,
    /// Sustained requests per second per API key; beyond it, 429 with Retry-After (or
    /// VOXANNE_RATE_LIMIT_PER_SECOND). Default 20.
    #[arg(long, value_name = "N")]
    rate_limit_per_second: Option<std::num::NonZeroU32>,
    /// Requests one API key may burst above the sustained rate (or VOXANNE_RATE_LIMIT_BURST).
    /// Default 60.
    #[arg(long, value_name = "N")]
    rate_limit_burst: Option<std::num::NonZeroU32>,
    /// Seconds between scheduled re-checks of each credential, jittered ±10 % (or
    /// VOXANNE_REVERIFY_INTERVAL_SECS). Default 21600 (6 hours).
    #[arg(long, value_name = "SECS")]
    reverify_interval_secs: Option<std::num::NonZeroU64>,
    /// Allow webhook endpoints on loopback, over plain http too, for the demo and tests (or
    /// VOXANNE_ALLOW_INSECURE_WEBHOOKS=true). Off: https to public addresses only.
    #[arg(long)]
    allow_insecure_webhooks: bool,
    /// Seconds before each retry of a failed webhook delivery, comma-separated, each spread by
    /// ±20% (or VOXANNE_WEBHOOK_RETRY_SCHEDULE_SECS). Default 5,300,1800,7200,18000,36000,36000.
    #[arg(long, value_name = "SECS,…")]
    webhook_retry_schedule_secs: Option<String>,
}

/// Prints the error with its causes on one line and returns the exit code.
fn fail(code: u8, err: &dyn std::error::Error) -> ExitCode {
    let mut text = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
    ExitCode::from(code)
}

pub async fn run(args: Args) -> ExitCode {
    let overrides = Overrides {
        database_url: args.database_url,
        twilio_base_url: args.twilio_base_url,
        public_url: args.public_url,
        google_base_url: args.google_base_url,
        body_limit_bytes: args.body_limit_bytes,
        rate_limit_per_second: args.rate_limit_per_second,
        rate_limit_burst: args.rate_limit_burst,
        reverify_interval_secs: args.reverify_interval_secs,
        // A flag can only turn it on; off is the default and the environment may turn it on.
        allow_insecure_webhooks: args.allow_insecure_webhooks.then_some(true),
        webhook_retry_schedule_secs: args.webhook_retry_schedule_secs,
        ..Overrides::default()
    };
    let settings = match Settings::load(args.config.as_deref(), &overrides) {
        Ok(settings) => settings,
        Err(err) => return fail(super::EXIT_USAGE, &err),
    };
    server::init_logging(settings.server.log_format);
    let state = match server::app_state(&settings).await {
        Ok(state) => state,
        Err(err) => return fail(if err.is_usage() { super::EXIT_USAGE } else { 1 }, &err),
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "error: cannot listen on {}: {err}: pick another --listen address",
                args.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let bound = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => return fail(1, &err),
    };
    println!("voxanne listening on http://{bound}");
    let _ = std::io::stdout().flush();
    tracing::info!(%bound, twilio = %settings.server.twilio_base_url, "serving");
    let store = state.services.store.clone();
    let result = server::serve(listener, state, server::shutdown_signal()).await;
    store.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(1, &err),
    }
}
