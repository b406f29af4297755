//! A sandbox per test and typed helpers for its control API.

use std::time::Duration;

use sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use twilio::{AccountSid, Client, Config, Credentials, SecretString};

use super::Fetch;

pub struct TwilioSandbox {
    pub sandbox: Sandbox,
    http: reqwest::Client,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountCreds {
    pub account_sid: String,
    pub auth_token: String,
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
}

/// An API key and its secret, as the control API returns them.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKey {
    pub sid: String,
    pub secret: String,
}

impl TwilioSandbox {
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig {
            hang_for: Duration::from_secs(3),
            ..SandboxConfig::default()
        })
        .await
    }

    pub async fn start_with(config: SandboxConfig) -> Self {
        Self {
            sandbox: Sandbox::start(config).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn shutdown(self) {
        self.sandbox.shutdown().await;
    }

    pub fn url(&self) -> &str {
        self.sandbox.url()
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/sandbox{path}", self.url());
        let request = self.http.request(method, url);
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        request.expect_json(&format!("control {path}")).await
    }

    pub async fn account(&self, kind: &str) -> AccountCreds {
        self.create_account(json!({"type": kind})).await
    }

    /// An account made from `body` (`type`, `status`, `friendly_name`, …).
    pub async fn create_account(&self, body: Value) -> AccountCreds {
        serde_json::from_value(self.control(reqwest::Method::POST, "/accounts", body).await)
            .unwrap()
    }

    /// An account made from `body` that owns `number`, which can send SMS.
    pub async fn account_with_number(&self, body: Value, number: &str) -> AccountCreds {
        let account = self.create_account(body).await;
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

    pub async fn api_key(&self, account: &AccountCreds) -> ApiKey {
        let path = format!("/accounts/{}/keys", account.account_sid);
        serde_json::from_value(self.control(reqwest::Method::POST, &path, json!({})).await).unwrap()
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

    pub async fn fault(&self, account: &AccountCreds, kind: &str, count: u32) {
        let body = json!({"account_sid": account.account_sid, "fault": kind, "count": count, "retry_after": 1});
        self.control(reqwest::Method::POST, "/faults", body).await;
    }

    /// What `phone` has received so far, oldest first.
    pub async fn inbox(&self, phone: &str) -> Vec<Value> {
        let path = format!("/phones/{}/messages", phone.replace('+', "%2B"));
        match self.control(reqwest::Method::GET, &path, Value::Null).await {
            Value::Array(items) => items,
            other => panic!("inbox of {phone}: {other}"),
        }
    }

    /// Waits (briefly) until `phone` has received `count` messages.
    pub async fn wait_for_inbox(&self, phone: &str, count: usize) -> Vec<Value> {
        for _ in 0..200 {
            let inbox = self.inbox(phone).await;
            if inbox.len() >= count {
                return inbox;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{phone} did not receive {count} messages");
    }

    pub fn client(&self, credentials: Credentials) -> Client {
        Client::new(credentials, Config::for_base_url(self.url()).unwrap()).unwrap()
    }
}
