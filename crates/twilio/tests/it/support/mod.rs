//! A sandbox per test, and typed helpers for its control API.

use std::time::Duration;

use sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use twilio::{AccountSid, ApiKeySid, Client, Config, Credentials, SecretString};

pub struct Env {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountCreds {
    pub account_sid: String,
    pub auth_token: String,
    pub test_account_sid: String,
    pub test_auth_token: String,
}

impl AccountCreds {
    pub fn sid(&self) -> AccountSid {
        AccountSid::parse(&self.account_sid).unwrap()
    }

    pub fn live(&self) -> Credentials {
        Credentials::AuthToken {
            account_sid: self.sid(),
            auth_token: SecretString::from(self.auth_token.clone()),
        }
    }

    pub fn test(&self) -> Credentials {
        Credentials::AuthToken {
            account_sid: AccountSid::parse(&self.test_account_sid).unwrap(),
            auth_token: SecretString::from(self.test_auth_token.clone()),
        }
    }
}

impl Env {
    /// A sandbox whose hang fault holds requests for `hang_for`.
    pub async fn start_with(hang_for: Duration) -> Env {
        let config = SandboxConfig {
            hang_for,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(config).await.unwrap();
        Env {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    pub async fn start() -> Env {
        Self::start_with(Duration::from_secs(5)).await
    }

    /// A sandbox and an account of `kind` that owns the SMS number `from`, with a client on the
    /// account's live credentials.
    pub async fn sender(kind: &str, from: &str) -> (Env, AccountCreds, Client) {
        let env = Self::start().await;
        let account = env.account_owning(kind, from).await;
        let client = env.client(account.live());
        (env, account, client)
    }

    pub fn url(&self) -> &str {
        self.sandbox.url()
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}/sandbox{path}", self.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "control {path}: {status} {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// A new account of `kind` ("Full" or "Trial").
    pub async fn account(&self, kind: &str) -> AccountCreds {
        let created = self
            .control(reqwest::Method::POST, "/accounts", json!({"type": kind}))
            .await;
        serde_json::from_value(created).unwrap()
    }

    /// A new account of `kind` that owns the SMS number `number`.
    pub async fn account_owning(&self, kind: &str, number: &str) -> AccountCreds {
        let account = self.account(kind).await;
        self.add_number(&account, number, true).await;
        account
    }

    pub async fn add_number(&self, account: &AccountCreds, phone: &str, sms: bool) {
        let path = format!("/accounts/{}/numbers", account.account_sid);
        self.control(
            reqwest::Method::POST,
            &path,
            json!({"phone_number": phone, "sms": sms}),
        )
        .await;
    }

    pub async fn api_key(&self, account: &AccountCreds) -> Credentials {
        let path = format!("/accounts/{}/keys", account.account_sid);
        let key = self.control(reqwest::Method::POST, &path, json!({})).await;
        Credentials::ApiKey {
            account_sid: account.sid(),
            key_sid: ApiKeySid::parse(key["sid"].as_str().unwrap()).unwrap(),
            key_secret: SecretString::from(key["secret"].as_str().unwrap().to_owned()),
        }
    }

    pub async fn messaging_service(&self, account: &AccountCreds, numbers: &[&str]) -> String {
        let path = format!("/accounts/{}/messaging-services", account.account_sid);
        let created = self
            .control(reqwest::Method::POST, &path, json!({"numbers": numbers}))
            .await;
        created["sid"].as_str().unwrap().to_owned()
    }

    pub async fn set_status(&self, account: &AccountCreds, status: &str) {
        let path = format!("/accounts/{}", account.account_sid);
        self.control(reqwest::Method::PATCH, &path, json!({"status": status}))
            .await;
    }

    /// Arms `count` faults of `kind` on the account's next REST calls.
    pub async fn fault(&self, account: &AccountCreds, kind: &str, count: u32, process: bool) {
        let body = json!({"account_sid": account.account_sid, "fault": kind, "count": count, "retry_after": 1, "process": process});
        self.control(reqwest::Method::POST, "/faults", body).await;
    }

    pub fn client(&self, credentials: Credentials) -> Client {
        self.client_with_timeout(credentials, Duration::from_secs(10))
    }

    pub fn client_with_timeout(&self, credentials: Credentials, timeout: Duration) -> Client {
        let mut config = Config::for_base_url(self.url()).unwrap();
        config.timeout = timeout;
        Client::new(credentials, config).unwrap()
    }
}
