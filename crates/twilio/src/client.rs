//! Credentials, configuration and the request plumbing every operation shares.
//!
//! The operations themselves live with their resources (`account`, `message`, …) as further
//! `impl Client` blocks, so this file only knows how to authenticate, send, and decode.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ApiError, Error, parse_retry_after};
use crate::sid::{AccountSid, ApiKeySid};

/// How the client authenticates (HTTP Basic). The Account SID always goes in the request path.
#[derive(Clone)]
pub enum Credentials {
    /// The account's own SID and Auth Token.
    AuthToken {
        account_sid: AccountSid,
        auth_token: SecretString,
    },
    /// A (Standard or Main) API key of the account. Standard keys cannot fetch the Account.
    ApiKey {
        account_sid: AccountSid,
        key_sid: ApiKeySid,
        key_secret: SecretString,
    },
}

impl Credentials {
    /// The account every request is made for.
    pub fn account_sid(&self) -> &AccountSid {
        match self {
            Credentials::AuthToken { account_sid, .. }
            | Credentials::ApiKey { account_sid, .. } => account_sid,
        }
    }

    /// True for API-key credentials.
    pub fn is_api_key(&self) -> bool {
        matches!(self, Credentials::ApiKey { .. })
    }

    fn basic_auth(&self) -> (&str, &str) {
        match self {
            // Exposed only to build the Authorization header, which reqwest marks sensitive.
            Credentials::AuthToken {
                account_sid,
                auth_token,
            } => (account_sid.as_str(), auth_token.expose_secret()),
            Credentials::ApiKey {
                key_sid,
                key_secret,
                ..
            } => (key_sid.as_str(), key_secret.expose_secret()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AuthToken { account_sid, .. } => f
                .debug_struct("AuthToken")
                .field("account_sid", account_sid)
                .field("auth_token", &"[REDACTED]")
                .finish(),
            Credentials::ApiKey {
                account_sid,
                key_sid,
                ..
            } => f
                .debug_struct("ApiKey")
                .field("account_sid", account_sid)
                .field("key_sid", key_sid)
                .field("key_secret", &"[REDACTED]")
                .finish(),
        }
    }
}

/// Where and how patiently to talk to Twilio.
#[derive(Debug, Clone)]
pub struct Config {
    /// REST API 2010 origin, default `https://api.twilio.com`.
    pub base_url: Url,
    /// Messaging v1 origin (Messaging Services), default `https://messaging.twilio.com`.
    pub messaging_base_url: Url,
    /// Whole-request timeout (connect, send, and read the answer).
    pub timeout: Duration,
    /// Connect timeout; only applies to clients built by [`Client::new`].
    pub connect_timeout: Duration,
    pub user_agent: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: Url::parse("https://api.twilio.com")
                .unwrap_or_else(|_| unreachable!("constant URL parses")),
            messaging_base_url: Url::parse("https://messaging.twilio.com")
                .unwrap_or_else(|_| unreachable!("constant URL parses")),
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("voxanne-twilio/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl Config {
    /// Defaults, with both the REST and Messaging origins at `base_url` (as the sandbox serves them).
    pub fn for_base_url(base_url: &str) -> Result<Self, Error> {
        let url = Url::parse(base_url).map_err(|err| Error::Config {
            reason: format!("base URL {base_url:?}: {err}"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config {
                reason: format!("base URL {base_url:?} must start with https:// or http://"),
            });
        }
        Ok(Self {
            base_url: url.clone(),
            messaging_base_url: url,
            ..Self::default()
        })
    }
}

/// The Twilio REST client. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    credentials: Credentials,
    config: Config,
    /// `base_url` without a trailing slash, so paths starting with `/` append cleanly.
    api_base: String,
    messaging_base: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.inner.credentials)
            .field("base_url", &self.inner.api_base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client with its own connection pool (rustls, no redirects).
    pub fn new(credentials: Credentials, config: Config) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            // Twilio does not redirect; following one could hand the Authorization header elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| Error::Config {
                reason: format!("cannot build the HTTP client: {err}"),
            })?;
        Ok(Self::with_http_client(credentials, config, http))
    }

    /// Builds a client on a shared `reqwest::Client`, e.g. one pool for every organization's
    /// credentials. `config.timeout` is applied per request; `connect_timeout` is the shared client's.
    pub fn with_http_client(
        credentials: Credentials,
        config: Config,
        http: reqwest::Client,
    ) -> Self {
        let api_base = config.base_url.as_str().trim_end_matches('/').to_owned();
        let messaging_base = config
            .messaging_base_url
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Self {
            inner: Arc::new(Inner {
                http,
                credentials,
                config,
                api_base,
                messaging_base,
            }),
        }
    }

    /// The account requests are made for.
    pub fn account_sid(&self) -> &AccountSid {
        self.inner.credentials.account_sid()
    }

    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// `{base_url}/2010-04-01/Accounts/{AccountSid}{suffix}`.
    pub(crate) fn account_url(&self, suffix: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}{suffix}",
            self.inner.api_base,
            self.account_sid()
        )
    }

    /// A path Twilio returned (`next_page_uri`), resolved against the REST origin.
    pub(crate) fn api_path_url(&self, path: &str) -> Result<String, Error> {
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(Error::Unexpected {
                what: "next_page_uri",
                value: path.to_owned(),
            });
        }
        Ok(format!("{}{path}", self.inner.api_base))
    }

    pub(crate) fn messaging_url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.messaging_base)
    }

    pub(crate) fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.inner.http.get(url)
    }

    pub(crate) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.inner.http.post(url)
    }

    pub(crate) fn delete(&self, url: &str) -> reqwest::RequestBuilder {
        self.inner.http.delete(url)
    }

    /// Sends `request` and decodes a 2xx JSON body as `T`.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let body = self.send(operation, request).await?;
        serde_json::from_slice(&body).map_err(|source| Error::Decode { operation, source })
    }

    /// Sends `request` with auth, timeout and headers; returns the body of a 2xx answer and turns
    /// anything else into [`ApiError`].
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<bytes::Bytes, Error> {
        let (user, password) = self.inner.credentials.basic_auth();
        let request = request
            .basic_auth(user, Some(password))
            .timeout(self.inner.config.timeout)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, &self.inner.config.user_agent);
        let transport =
            |err| Error::from_transport(err, &self.inner.api_base, self.inner.config.timeout);
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        let request_id = header_str(&headers, "twilio-request-id");
        tracing::debug!(
            operation,
            status = status.as_u16(),
            request_id = request_id.as_deref(),
            "twilio answered"
        );
        if status.is_success() {
            return Ok(body);
        }
        let retry_after = header_str(&headers, RETRY_AFTER.as_str())
            .as_deref()
            .and_then(parse_retry_after);
        Err(ApiError::from_response(status.as_u16(), &body, retry_after, request_id).into())
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_hex() -> String {
        use std::hash::{BuildHasher, RandomState};
        let a = RandomState::new().hash_one(1u8);
        let b = RandomState::new().hash_one(2u8);
        format!("{a:016x}{b:016x}")
    }

    #[test]
    fn debug_output_never_contains_the_token_or_the_key_secret() {
        let token = format!("tok{}", random_hex());
        let secret = format!("sec{}", random_hex());
        let account_sid = AccountSid::parse(&format!("AC{}", random_hex())).unwrap();
        let by_token = Credentials::AuthToken {
            account_sid: account_sid.clone(),
            auth_token: token.clone().into(),
        };
        let by_key = Credentials::ApiKey {
            account_sid,
            key_sid: ApiKeySid::parse(&format!("SK{}", random_hex())).unwrap(),
            key_secret: secret.clone().into(),
        };
        let client = Client::new(by_token.clone(), Config::default()).unwrap();
        let key_client = Client::new(by_key.clone(), Config::default()).unwrap();
        let shown = format!(
            "{by_token:?} {by_key:?} {client:?} {key_client:?} {:#?}",
            client
        );
        assert!(
            !shown.contains(&token) && !shown.contains(&secret),
            "{shown}"
        );
        assert!(shown.contains("[REDACTED]"));
    }

    #[test]
    fn a_base_url_with_or_without_a_trailing_slash_builds_the_same_paths() {
        let sid = AccountSid::parse(&format!("AC{}", random_hex())).unwrap();
        let creds = Credentials::AuthToken {
            account_sid: sid.clone(),
            auth_token: "x".into(),
        };
        let a = Client::new(
            creds.clone(),
            Config::for_base_url("http://127.0.0.1:9/").unwrap(),
        )
        .unwrap();
        let b = Client::new(creds, Config::for_base_url("http://127.0.0.1:9").unwrap()).unwrap();
        assert_eq!(
            a.account_url(".json"),
            format!("http://127.0.0.1:9/2010-04-01/Accounts/{sid}.json")
        );
        assert_eq!(a.account_url(".json"), b.account_url(".json"));
        assert!(a.api_path_url("//evil.example/x").is_err());
    }

    #[test]
    fn a_base_url_that_is_not_http_is_a_config_error() {
        assert!(matches!(
            Config::for_base_url("ftp://x"),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            Config::for_base_url("not a url"),
            Err(Error::Config { .. })
        ));
    }
}
