//! The `voxanne` command line: one subcommand per operator task.
//!
//! Each subcommand lives in its own module with its own `Args` struct and an
//! `async fn run(args) -> ExitCode`, so adding one touches this file in two lines.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod api_key;
mod check;
mod keys;
mod migrate;
mod org;
mod sandbox;
mod serve;
pub mod store_args;
mod user;

/// Exit code for a usage error (bad flags, missing settings), as the check suite documents.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "voxanne",
    version,
    about = "Messaging and credentials backbone for clinic receptionists"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local Twilio/Google stand-in (no network needed).
    Sandbox(sandbox::Args),
    /// Create, list and delete organizations (clinics).
    Org(org::Args),
    /// Create and revoke API keys.
    ApiKey(api_key::Args),
    /// Create dashboard users.
    User(user::Args),
    /// Bring the database schema up to date.
    Migrate(migrate::Args),
    /// Generate, rotate and inspect master keys.
    Keys(keys::Args),
    /// Check an account's setup: `voxanne check twilio` (credentials, sender, test messages).
    Check(check::Args),
    /// Run the HTTP API (credentials, settings, health, metrics, docs).
    Serve(serve::Args),
}

/// Parses the command line, runs the subcommand on a Tokio runtime and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let usage_error = err.use_stderr();
            let _ = err.print();
            return if usage_error {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Sandbox(args) => sandbox::run(args).await,
            Command::Org(args) => org::run(args).await,
            Command::ApiKey(args) => api_key::run(args).await,
            Command::User(args) => user::run(args).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::Keys(args) => keys::run(args).await,
            Command::Check(args) => check::run(args).await,
            Command::Serve(args) => serve::run(args).await,
        }
    })
}
