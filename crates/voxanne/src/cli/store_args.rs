//! What every database command shares: where the configuration and database are, `--json`,
//! logging, error reporting, and the start-up checks (master key present and able to open the store).

use std::error::Error as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::EXIT_USAGE;
use crate::config::{ConfigError, Overrides, Settings};
use crate::store::{Store, StoreError};

/// Flags accepted by every database command (anywhere on the command line).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Configuration file (default: ./voxanne.toml when it exists).
    #[arg(long, global = true, env = "VOXANNE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: a SQLite file in the data dir).
    /// Also read from VOXANNE_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory for local state (default ./voxanne-data). Also read from VOXANNE_DATA_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Why a command stopped; decides the exit code (2 for configuration, 1 otherwise).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}")]
    Io {
        context: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl StoreArgs {
    /// Loads the layered settings.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let overrides = Overrides {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            ..Overrides::default()
        };
        Settings::load(self.config.as_deref(), &overrides)
    }

    /// Start-up of a database command: settings, master keys, connect, migrate, key check.
    /// Refuses to go on when no key is configured or the keys cannot open this store.
    pub async fn open_store(&self) -> Result<Store, CommandError> {
        init_logging();
        let settings = self.settings()?;
        let keyring = settings.keyring()?;
        let url = settings.resolved_database_url()?;
        tracing::debug!(database = %crate::config::redact_database_url(&url), "opening the store");
        Ok(Store::open(&url, keyring).await?)
    }

    /// Prints `value` as JSON with `--json`, else the human text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => println!("{text}"),
                Err(err) => eprintln!("error: cannot render JSON: {err}"),
            }
        } else {
            print!("{}", human());
        }
    }
}

/// Logs to stderr, filtered by `VOXANNE_LOG` as `serve` is (default for admin commands:
/// warnings only); `RUST_LOG` is honoured too when `VOXANNE_LOG` is unset.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VOXANNE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints the error with its causes and picks the exit code.
pub fn report(err: &CommandError) -> ExitCode {
    eprintln!("error: {err}");
    // `transparent` variants forward `source()` to the wrapped error's cause.
    let mut source = err.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    match err {
        CommandError::Config(_)
        | CommandError::Usage(_)
        | CommandError::Store(StoreError::WrongMasterKey { .. })
        | CommandError::Store(StoreError::UnsupportedDatabaseUrl { .. }) => {
            ExitCode::from(EXIT_USAGE)
        }
        _ => ExitCode::FAILURE,
    }
}

/// Runs a command body and turns its error into a report and exit code.
pub async fn finish(result: Result<(), CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}
