//! Where Voxanne's Google OAuth client talks to, and as whom.

use std::fmt;

use secrecy::SecretString;
use url::Url;

use super::Error;

/// The operator's Google OAuth client and the endpoints to use. `GoogleConfig::google` points at
/// Google itself; `GoogleConfig::sandbox` at the local stand-in (tests and the demo).
#[derive(Clone)]
pub struct GoogleConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub auth_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
    /// Calendar API base, ending in `/calendar/v3/`.
    pub api_base: Url,
    /// Voxanne's callback, registered in the Google Cloud console exactly as written here.
    pub redirect_url: Url,
}

const GOOGLE_AUTH: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
const GOOGLE_REVOKE: &str = "https://oauth2.googleapis.com/revoke";
const GOOGLE_CALENDAR: &str = "https://www.googleapis.com/calendar/v3/";

impl GoogleConfig {
    /// Google's real endpoints.
    pub fn google(
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_url: Url,
    ) -> Result<Self, Error> {
        Ok(Self {
            client_id: client_id.into(),
            client_secret,
            auth_url: parse("auth_url", GOOGLE_AUTH)?,
            token_url: parse("token_url", GOOGLE_TOKEN)?,
            revoke_url: parse("revoke_url", GOOGLE_REVOKE)?,
            api_base: parse("api_base", GOOGLE_CALENDAR)?,
            redirect_url,
        })
    }

    /// The sandbox's Google stand-in served at `base` (e.g. `http://127.0.0.1:PORT`), which
    /// mirrors Google's paths on a single origin.
    pub fn sandbox(
        base: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
        redirect_url: Url,
    ) -> Result<Self, Error> {
        let base = base.trim_end_matches('/');
        Ok(Self {
            client_id: client_id.into(),
            client_secret,
            auth_url: parse("auth_url", &format!("{base}/o/oauth2/v2/auth"))?,
            token_url: parse("token_url", &format!("{base}/token"))?,
            revoke_url: parse("revoke_url", &format!("{base}/revoke"))?,
            api_base: parse("api_base", &format!("{base}/calendar/v3/"))?,
            redirect_url,
        })
    }
}

fn parse(field: &'static str, value: &str) -> Result<Url, Error> {
    Url::parse(value).map_err(|source| Error::Config { field, source })
}

/// Written by hand so the secret can never reach a log line through `{:?}`.
impl fmt::Debug for GoogleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("auth_url", &self.auth_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("revoke_url", &self.revoke_url.as_str())
            .field("api_base", &self.api_base.as_str())
            .field("redirect_url", &self.redirect_url.as_str())
            .finish()
    }
}
