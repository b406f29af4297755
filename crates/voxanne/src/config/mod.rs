//! Runtime settings: defaults < `voxanne.toml` < `VOXANNE_*` environment < command-line flags.
//!
//! One `Settings` value is built at start-up and handed down; nothing reads the environment later.
//! Other parts add their own fields here (listen address, public URL, Twilio/Google endpoints), each
//! with a default so an empty configuration still loads.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::vault::{self, Keyring, MasterKey};

pub mod server;

pub use self::server::{LogFormat, ServeError, ServerSettings};

/// The configuration file read when `--config` is not given (only if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "voxanne.toml";

/// Everything that stops the configuration from loading; each message names the setting and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration file {} does not exist: fix the --config path or create the file", path.display())]
    MissingConfigFile { path: PathBuf },
    #[error("invalid configuration (from defaults, voxanne.toml, VOXANNE_* variables and flags)")]
    Load(#[source] Box<figment::Error>),
    #[error(
        "VOXANNE_MASTER_KEY is not set (nor VOXANNE_MASTER_KEY_FILE): generate one with `voxanne keys generate` and export it as VOXANNE_MASTER_KEY"
    )]
    NoMasterKey,
    #[error(
        "{setting} is invalid: each key must be the base64 of 32 random bytes, as printed by `voxanne keys generate` (several keys: newest first, separated by commas or lines)"
    )]
    InvalidMasterKey {
        setting: &'static str,
        #[source]
        source: vault::Error,
    },
    #[error("VOXANNE_MASTER_KEY_FILE ({}) cannot be read: fix the path or the file's permissions", path.display())]
    MasterKeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the data directory {} cannot be created: set VOXANNE_DATA_DIR (or data_dir) to a writable place", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The settings every command and the server read.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where local state lives (the default SQLite file among it). `VOXANNE_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; unset means `sqlite://<data_dir>/voxanne.db`. `VOXANNE_DATABASE_URL`.
    pub database_url: Option<String>,
    /// Base64 master keys, newest first, comma-separated. `VOXANNE_MASTER_KEY`.
    #[serde(skip_serializing)]
    pub master_key: Option<SecretString>,
    /// A file with one base64 master key per line, newest first. `VOXANNE_MASTER_KEY_FILE`.
    pub master_key_file: Option<PathBuf>,
    /// `voxanne serve`'s settings (Twilio base URL, public URL, logs, limits), flattened so each
    /// is a top-level `voxanne.toml` key and a `VOXANNE_*` variable.
    #[serde(flatten)]
    pub server: server::ServerSettings,
    /// The dispatcher's tunables (`VOXANNE_DISPATCH_*`), flattened the same way.
    #[serde(flatten)]
    pub delivery: crate::delivery::DeliverySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./voxanne-data"),
            database_url: None,
            master_key: None,
            master_key_file: None,
            server: server::ServerSettings::default(),
            delivery: crate::delivery::DeliverySettings::default(),
        }
    }
}

/// Values given on the command line; only the ones set override the layers below.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twilio_base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_limit_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_second: Option<std::num::NonZeroU32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_burst: Option<std::num::NonZeroU32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverify_interval_secs: Option<std::num::NonZeroU64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_insecure_webhooks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_retry_schedule_secs: Option<String>,
}

impl Settings {
    /// Loads the layered configuration. `config_file` is `--config`; when `None`,
    /// `./voxanne.toml` is read if present.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError::MissingConfigFile {
                    path: path.to_owned(),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        figment
            .merge(Env::prefixed("VOXANNE_"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|err| ConfigError::Load(Box::new(err)))
    }

    /// The database URL to use, creating the data directory when the default SQLite file is meant.
    pub fn resolved_database_url(&self) -> Result<String, ConfigError> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("voxanne.db").display()
        ))
    }

    /// The master keys from `VOXANNE_MASTER_KEY` (first) and `VOXANNE_MASTER_KEY_FILE`, newest
    /// first. A key listed in both places (or twice) counts once.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        let mut keys: Vec<MasterKey> = Vec::new();
        if let Some(text) = &self.master_key {
            keys.extend(MasterKey::parse_list(text).map_err(|source| {
                ConfigError::InvalidMasterKey {
                    setting: "VOXANNE_MASTER_KEY",
                    source,
                }
            })?);
        }
        if let Some(path) = &self.master_key_file {
            let text = std::fs::read_to_string(path)
                .map(SecretString::from)
                .map_err(|source| ConfigError::MasterKeyFile {
                    path: path.clone(),
                    source,
                })?;
            keys.extend(MasterKey::parse_list(&text).map_err(|source| {
                ConfigError::InvalidMasterKey {
                    setting: "VOXANNE_MASTER_KEY_FILE",
                    source,
                }
            })?);
        }
        let mut unique: Vec<MasterKey> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.iter().any(|seen| seen.id() == key.id()) {
                unique.push(key);
            }
        }
        Keyring::new(unique).map_err(|_| ConfigError::NoMasterKey)
    }
}

/// Shows a database URL with its password replaced, for logs and `Debug`.
pub fn redact_database_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("[REDACTED]"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "[unparsable database URL]".to_owned(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_database_url),
            )
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("master_key_file", &self.master_key_file)
            .field("server", &self.server)
            .field("delivery", &self.delivery)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_master_key_and_the_database_password() {
        let key = MasterKey::generate();
        let settings = Settings {
            database_url: Some("postgres://app:hunter2pw@db.example/voxanne".into()),
            master_key: Some(key.to_base64()),
            ..Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2pw"), "{shown}");
        assert!(
            !shown.contains(secrecy::ExposeSecret::expose_secret(&key.to_base64())),
            "{shown}"
        );
        assert!(shown.contains("[REDACTED]"));
    }

    #[test]
    fn no_master_key_names_the_setting_and_the_fix() {
        let err = Settings::default().keyring().unwrap_err().to_string();
        assert!(err.contains("VOXANNE_MASTER_KEY"), "{err}");
        assert!(err.contains("voxanne keys generate"), "{err}");
    }

    #[test]
    fn a_malformed_master_key_names_the_setting() {
        let settings = Settings {
            master_key: Some(SecretString::from("not-base64!")),
            ..Settings::default()
        };
        let err = settings.keyring().unwrap_err().to_string();
        assert!(err.starts_with("VOXANNE_MASTER_KEY is invalid"), "{err}");
    }

    #[test]
    fn keys_from_the_variable_come_before_the_file_and_duplicates_collapse() {
        let (newest, older) = (MasterKey::generate(), MasterKey::generate());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys");
        let file_text = format!(
            "# rotated 2026-11\n{}\n{}\n",
            secrecy::ExposeSecret::expose_secret(&newest.to_base64()),
            secrecy::ExposeSecret::expose_secret(&older.to_base64())
        );
        std::fs::write(&file, file_text).unwrap();
        let settings = Settings {
            master_key: Some(newest.to_base64()),
            master_key_file: Some(file),
            ..Settings::default()
        };
        let ring = settings.keyring().unwrap();
        assert_eq!(
            ring.ids().collect::<Vec<_>>(),
            vec![newest.id(), older.id()]
        );
    }

    #[test]
    fn an_explicit_config_file_that_does_not_exist_is_an_error() {
        let err = Settings::load(
            Some(Path::new("/nonexistent/voxanne.toml")),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("--config"), "{err}");
    }

    #[test]
    fn google_settings_load_from_the_file_and_the_secret_stays_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(
            &file,
            "google_client_id = \"cid.apps.googleusercontent.com\"\ngoogle_client_secret = \"hidden-google-secret\"\ngoogle_base_url = \"http://127.0.0.1:9\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            google_base_url: Some("http://127.0.0.1:10".into()),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&file), &overrides).unwrap();
        assert_eq!(
            settings.server.google_client_id.as_deref(),
            Some("cid.apps.googleusercontent.com")
        );
        assert_eq!(
            settings.server.google_base_url.as_deref(),
            Some("http://127.0.0.1:10")
        );
        assert!(settings.server.google_client_secret.is_some());
        assert!(!format!("{settings:?}").contains("hidden-google-secret"));
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(
            &file,
            "database_url = \"sqlite://from-file.db\"\ndata_dir = \"/tmp/x\"\n",
        )
        .unwrap();
        let from_file = Settings::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(from_file.data_dir, PathBuf::from("/tmp/x"));
        let overrides = Overrides {
            database_url: Some("sqlite://from-flag.db".into()),
            data_dir: None,
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&file), &overrides).unwrap();
        assert_eq!(
            settings.database_url.as_deref(),
            Some("sqlite://from-flag.db")
        );
    }

    #[test]
    fn an_unset_flag_leaves_the_files_value() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(&file, "allow_insecure_webhooks = true\n").unwrap();
        let settings = Settings::load(Some(&file), &Overrides::default()).unwrap();
        assert!(settings.server.allow_insecure_webhooks);
    }
}
