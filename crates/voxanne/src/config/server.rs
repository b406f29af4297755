//! The settings of `voxanne serve`: where Twilio and Google are, the public URL, limits and logs.

use std::num::{NonZeroU32, NonZeroU64};
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

/// How many requests one API key may make: a sustained rate and a burst on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        // 20 requests per second sustained, bursts of 60: far above what one clinic needs.
        Self {
            per_second: NonZeroU32::MIN.saturating_add(19),
            burst: NonZeroU32::MIN.saturating_add(59),
        }
    }
}

/// Real Twilio; tests and the demo point this at the sandbox instead.
pub const DEFAULT_TWILIO_BASE_URL: &str = "https://api.twilio.com";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// How often each credential is re-checked by default: every 6 hours.
pub const DEFAULT_REVERIFY_INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);

/// Settings of `voxanne serve` (flattened into [`crate::config::Settings`], so each is also a
/// `voxanne.toml` key and a `VOXANNE_*` variable, e.g. `VOXANNE_TWILIO_BASE_URL`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Where Twilio's REST API is. `VOXANNE_TWILIO_BASE_URL`.
    pub twilio_base_url: String,
    /// Where Twilio's Messaging API (Messaging Services) is; unset means
    /// `https://messaging.twilio.com` for real Twilio, or `twilio_base_url` when that was changed
    /// (the sandbox serves both).
    pub twilio_messaging_base_url: Option<String>,
    /// Timeout of one call to Twilio, in seconds.
    pub twilio_timeout_secs: u64,
    /// The public base URL Twilio calls back to (status callbacks). `VOXANNE_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `text` or `json`. `VOXANNE_LOG_FORMAT`. The level comes from `VOXANNE_LOG` (default `info`).
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes (413 beyond).
    pub body_limit_bytes: usize,
    /// Sustained requests per second per API key.
    pub rate_limit_per_second: NonZeroU32,
    /// Requests one API key may burst above the sustained rate.
    pub rate_limit_burst: NonZeroU32,
    /// Voxanne's Google OAuth client id. `VOXANNE_GOOGLE_CLIENT_ID`.
    pub google_client_id: Option<String>,
    /// Its secret. `VOXANNE_GOOGLE_CLIENT_SECRET` (never written back out).
    #[serde(skip_serializing)]
    pub google_client_secret: Option<SecretString>,
    /// Unset: Google's real endpoints. Set: the sandbox's Google stand-in, every endpoint under
    /// this one base. `VOXANNE_GOOGLE_BASE_URL` (`--google-base-url`).
    pub google_base_url: Option<String>,
    /// Where the browser goes after connecting Google Calendar (`?google=connected` is added).
    /// Unset: `{public_url}/dashboard/calendar`. `VOXANNE_DASHBOARD_URL`.
    pub dashboard_url: Option<String>,
    /// Seconds between scheduled re-checks of each credential (jittered ±10 %).
    /// `VOXANNE_REVERIFY_INTERVAL_SECS` (`--reverify-interval-secs`); default 21600 (6 hours).
    pub reverify_interval_secs: NonZeroU64,
    /// Allow webhook endpoints on loopback, over plain http too (the demo and tests).
    /// `VOXANNE_ALLOW_INSECURE_WEBHOOKS`. Off: https to public addresses only.
    pub allow_insecure_webhooks: bool,
    /// Seconds to wait before each retry of a failed webhook delivery, comma-separated (each
    /// spread by ±20 %); the delivery gives up after the last. `VOXANNE_WEBHOOK_RETRY_SCHEDULE_SECS`.
    #[serde(deserialize_with = "schedule_text")]
    pub webhook_retry_schedule_secs: String,
    /// Seconds an endpoint may fail every attempt before it is disabled (default 5 days).
    /// `VOXANNE_WEBHOOK_DISABLE_AFTER_SECS`.
    pub webhook_disable_after_secs: u64,
}

/// The retry schedule as text, whether it was written `"5,300"` (environment, flag) or as a
/// TOML number or list.
fn schedule_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        One(u64),
        List(Vec<u64>),
    }
    Ok(match Written::deserialize(deserializer)? {
        Written::Text(text) => text,
        Written::One(secs) => secs.to_string(),
        Written::List(list) => list
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    })
}

impl Default for ServerSettings {
    fn default() -> Self {
        let rate = RateLimit::default();
        Self {
            twilio_base_url: DEFAULT_TWILIO_BASE_URL.to_owned(),
            twilio_messaging_base_url: None,
            twilio_timeout_secs: 15,
            public_url: None,
            log_format: LogFormat::Text,
            body_limit_bytes: 64 * 1024,
            rate_limit_per_second: rate.per_second,
            rate_limit_burst: rate.burst,
            google_client_id: None,
            google_client_secret: None,
            google_base_url: None,
            dashboard_url: None,
            reverify_interval_secs: NonZeroU64::new(DEFAULT_REVERIFY_INTERVAL.as_secs())
                .unwrap_or(NonZeroU64::MIN),
            allow_insecure_webhooks: false,
            webhook_retry_schedule_secs: crate::webhook_delivery::DEFAULT_RETRY_SCHEDULE_SECS
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            webhook_disable_after_secs: crate::webhook_delivery::DEFAULT_DISABLE_AFTER.as_secs(),
        }
    }
}

/// Why the server cannot start; each message names the setting and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{setting} is not a usable http(s) URL ({value}): {reason}")]
    BadUrl {
        setting: &'static str,
        value: String,
        reason: String,
    },
    #[error("{setting} is not valid ({value}): {reason}")]
    BadSetting {
        setting: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot set up the Google OAuth client")]
    Google(#[source] crate::google::Error),
}

pub fn http_url(setting: &'static str, value: &str) -> Result<Url, ServeError> {
    let bad = |reason: String| ServeError::BadUrl {
        setting,
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|err| bad(err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(
            "use http://HOST[:PORT] or https://HOST[:PORT]".to_owned()
        ));
    }
    Ok(url)
}

impl ServerSettings {
    /// The Twilio endpoint configuration every verification and send uses.
    pub fn twilio_config(&self) -> Result<twilio::Config, ServeError> {
        let base_url = http_url(
            "VOXANNE_TWILIO_BASE_URL (--twilio-base-url)",
            &self.twilio_base_url,
        )?;
        let defaults = twilio::Config::default();
        let messaging_base_url = match &self.twilio_messaging_base_url {
            Some(value) => http_url("VOXANNE_TWILIO_MESSAGING_BASE_URL", value)?,
            None if base_url == defaults.base_url => defaults.messaging_base_url.clone(),
            None => base_url.clone(),
        };
        Ok(twilio::Config {
            base_url,
            messaging_base_url,
            timeout: Duration::from_secs(self.twilio_timeout_secs.max(1)),
            ..defaults
        })
    }

    /// The public URL, checked, when one is configured.
    pub fn public_url(&self) -> Result<Option<Url>, ServeError> {
        self.public_url
            .as_deref()
            .map(|value| http_url("VOXANNE_PUBLIC_URL (--public-url)", value))
            .transpose()
    }

    /// Where the browser lands after a Google connect: `dashboard_url`, else
    /// `{public_url}/dashboard/calendar` (the dashboard's calendar page), else that page on this
    /// server.
    pub fn dashboard_url(&self, public_url: Option<&str>) -> Result<String, ServeError> {
        match (&self.dashboard_url, public_url) {
            (Some(url), _) => {
                http_url("VOXANNE_DASHBOARD_URL", url)?;
                Ok(url.clone())
            }
            (None, Some(public)) => Ok(format!("{public}/dashboard/calendar")),
            (None, None) => Ok("/dashboard/calendar".to_owned()),
        }
    }

    /// How often each credential is re-checked.
    pub fn reverify_interval(&self) -> Duration {
        Duration::from_secs(self.reverify_interval_secs.get())
    }

    /// The webhook sender's settings, checked.
    pub fn webhook_config(&self) -> Result<crate::webhook_delivery::WebhookConfig, ServeError> {
        let text = self.webhook_retry_schedule_secs.trim();
        let bad = || ServeError::BadSetting {
            setting: "VOXANNE_WEBHOOK_RETRY_SCHEDULE_SECS (--webhook-retry-schedule-secs)",
            value: text.chars().take(80).collect(),
            reason: "give whole seconds separated by commas, e.g. 5,300,1800",
        };
        let retry_schedule = text
            .split(',')
            .map(|part| part.trim().parse::<u64>().map(Duration::from_secs))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        if retry_schedule.is_empty() {
            return Err(bad());
        }
        Ok(crate::webhook_delivery::WebhookConfig {
            policy: crate::webhooks::AddressPolicy {
                allow_insecure: self.allow_insecure_webhooks,
            },
            retry_schedule,
            disable_after: Duration::from_secs(self.webhook_disable_after_secs.max(1)),
        })
    }

    /// The per-API-key request limit.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_second: self.rate_limit_per_second,
            burst: self.rate_limit_burst,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Overrides, Settings};

    #[test]
    fn server_settings_come_from_voxanne_toml_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("voxanne.toml");
        std::fs::write(
            &file,
            "twilio_base_url = \"http://127.0.0.1:9001\"\npublic_url = \"https://clinic.example\"\nrate_limit_burst = 7\nlog_format = \"json\"\n",
        )
        .unwrap();
        let from_file = Settings::load(Some(Path::new(&file)), &Overrides::default()).unwrap();
        assert_eq!(from_file.server.twilio_base_url, "http://127.0.0.1:9001");
        assert_eq!(from_file.server.rate_limit_burst.get(), 7);
        assert_eq!(from_file.server.log_format, LogFormat::Json);
        let overrides = Overrides {
            twilio_base_url: Some("http://127.0.0.1:9002".into()),
            ..Overrides::default()
        };
        let flagged = Settings::load(Some(Path::new(&file)), &overrides).unwrap();
        assert_eq!(flagged.server.twilio_base_url, "http://127.0.0.1:9002");
        assert_eq!(
            flagged.server.public_url.as_deref(),
            Some("https://clinic.example")
        );
    }

    #[test]
    fn a_changed_twilio_base_url_also_serves_messaging_while_real_twilio_keeps_its_own_host() {
        let sandbox = ServerSettings {
            twilio_base_url: "http://127.0.0.1:9001".into(),
            ..ServerSettings::default()
        };
        let config = sandbox.twilio_config().unwrap();
        assert_eq!(config.messaging_base_url, config.base_url);
        let real = ServerSettings::default().twilio_config().unwrap();
        assert_eq!(real.base_url.as_str(), "https://api.twilio.com/");
        assert_eq!(
            real.messaging_base_url.as_str(),
            "https://messaging.twilio.com/"
        );
    }

    #[test]
    fn a_base_url_that_is_not_http_names_the_setting() {
        let bad = ServerSettings {
            twilio_base_url: "ftp://example".into(),
            ..ServerSettings::default()
        };
        let err = bad.twilio_config().unwrap_err().to_string();
        assert!(err.contains("VOXANNE_TWILIO_BASE_URL"), "{err}");
    }
}
