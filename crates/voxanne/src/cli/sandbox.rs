//! `voxanne sandbox`: serve the Twilio/Google stand-in on loopback until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use sandbox::{Sandbox, SandboxConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the bound URL is printed).
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    /// Milliseconds between a message's life-cycle steps (queued → sending → sent → delivered).
    #[arg(long, default_value_t = 5)]
    step_delay_ms: u64,
    /// Seconds a `hang` fault holds a request before dropping the connection.
    #[arg(long, default_value_t = 30)]
    hang_for_secs: u64,
}

pub async fn run(args: Args) -> ExitCode {
    let config = SandboxConfig {
        listen: args.listen,
        step_delay: Duration::from_millis(args.step_delay_ms),
        hang_for: Duration::from_secs(args.hang_for_secs),
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("error: cannot listen on {}: {err}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    println!("sandbox listening on {}", sandbox.url());
    if let Err(err) = shutdown_signal().await {
        eprintln!("error: cannot wait for a shutdown signal: {err}");
        sandbox.shutdown().await;
        return ExitCode::FAILURE;
    }
    eprintln!("sandbox shutting down");
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
