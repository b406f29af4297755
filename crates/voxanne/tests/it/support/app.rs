//! `TestApp`: the server spawned in-process on 127.0.0.1:0 with a fresh database and a sandbox of
//! its own, organizations with API keys, sandbox accounts and credentials, and one typed helper
//! per endpoint.

use std::num::NonZeroU32;

use rand::Rng;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use voxanne::config::ServerSettings;
use voxanne::config::Settings;
use voxanne::ids::OrgId;
use voxanne::store::Store;
use voxanne::vault::MasterKey;

use super::answer::Answer;
use super::database::TestDb;
use super::twilio_sandbox::TwilioSandbox;

/// An organization with a working API key.
#[derive(Debug, Clone)]
pub struct TestOrg {
    pub id: OrgId,
    pub key: String,
}

/// A sandbox Twilio account.
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    pub sid: String,
    pub token: String,
    /// A number the account owns that can send SMS.
    pub number: String,
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub sandbox: TwilioSandbox,
    pub store: Store,
    /// Every response body seen, for the secret sentinel checks.
    pub seen: std::sync::Mutex<Vec<String>>,
    pub db: TestDb,
    /// The sandbox Google OAuth client registered for this app (`spawn_with_google` only).
    pub google_client_id: Option<String>,
    /// The server's Google connections (`spawn_with_google` only), for in-process checks.
    pub google: Option<voxanne::google_connection::GoogleConnections>,
    /// The server's master key (base64) and Google client secret: secrets the sentinel proof
    /// searches for.
    pub master_key: String,
    pub google_client_secret: Option<String>,
    stop: Option<oneshot::Sender<()>>,
}

/// A random US number outside the sandbox's scenario and magic ranges (a valid NANP exchange).
pub fn random_number() -> String {
    format!(
        "+1415{:07}",
        rand::rng().random_range(2_000_000..10_000_000)
    )
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A running server with one organization and its API key.
    pub async fn with_org() -> (Self, TestOrg) {
        let app = Self::spawn().await;
        let org = app.org().await;
        (app, org)
    }

    /// Spawns with settings adjusted by `tweak` (rate limits, body limit, …).
    pub async fn spawn_with(tweak: impl FnOnce(&mut ServerSettings)) -> Self {
        Self::spawn_configured(tweak, false).await
    }

    /// Spawns with Google Calendar configured: an OAuth client registered at the sandbox's
    /// Google stand-in for this server's callback, and `public_url` set to this server.
    pub async fn spawn_with_google() -> Self {
        Self::spawn_configured(|_| {}, true).await
    }

    /// `spawn_with_google` with settings adjusted by `tweak`.
    pub async fn spawn_with_google_and(tweak: impl FnOnce(&mut ServerSettings)) -> Self {
        Self::spawn_configured(tweak, true).await
    }

    async fn spawn_configured(tweak: impl FnOnce(&mut ServerSettings), google: bool) -> Self {
        let db = TestDb::new().await;
        let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig::default()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut server = ServerSettings {
            twilio_base_url: sandbox.url().to_owned(),
            // High enough that only the rate-limit test meets it.
            rate_limit_per_second: NonZeroU32::new(1000).unwrap(),
            rate_limit_burst: NonZeroU32::new(1000).unwrap(),
            twilio_timeout_secs: 5,
            ..ServerSettings::default()
        };
        let mut google_client_id = None;
        let mut google_client_secret = None;
        if google {
            let (id, secret) = voxanne::google_connection::demo::register_sandbox_client(
                sandbox.url(),
                &format!("{url}/oauth/google/callback"),
            )
            .await
            .unwrap();
            google_client_id = Some(id.clone());
            google_client_secret = Some(secret.expose_secret().to_owned());
            server.google_client_id = Some(id);
            server.google_client_secret = Some(secret);
            server.google_base_url = Some(sandbox.url().to_owned());
            server.public_url = Some(url.clone());
        }
        // Twilio's status callbacks come back to this server.
        server.public_url = Some(url.clone());
        tweak(&mut server);
        let master_key = MasterKey::generate().to_base64();
        let settings = Settings {
            database_url: Some(db.url.clone()),
            master_key: Some(master_key.clone()),
            server,
            ..Settings::default()
        };
        let state = voxanne::app::app_state(&settings).await.unwrap();
        let store = state.services.store.clone();
        let google = state.services.google.ready().cloned();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(voxanne::app::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            url,
            client: reqwest::Client::new(),
            sandbox,
            store,
            seen: std::sync::Mutex::new(Vec::new()),
            db,
            google_client_id,
            google,
            master_key: master_key.expose_secret().to_owned(),
            google_client_secret,
            stop: Some(stop),
        }
    }

    /// A new organization and its first API key.
    pub async fn org(&self) -> TestOrg {
        let org = self
            .store
            .create_organization("Sunrise Dental")
            .await
            .unwrap();
        let (_, key) = self.store.create_api_key(&org.id).await.unwrap();
        TestOrg {
            id: org.id,
            key: key.secret().expose_secret().to_owned(),
        }
    }

    /// A key of `org` that has been revoked.
    pub async fn revoked_key(&self, org: &TestOrg) -> String {
        let (record, key) = self.store.create_api_key(&org.id).await.unwrap();
        self.store.revoke_api_key_by_id(&record.id).await.unwrap();
        key.secret().expose_secret().to_owned()
    }

    /// Sends a request; `key` `None` sends no Authorization header.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.answer(request).await
    }

    pub async fn answer(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        self.seen.lock().unwrap().push(text.clone());
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn create_twilio(&self, key: &str, body: &Value) -> Answer {
        self.call(
            Method::POST,
            "/api/organization/credentials/twilio",
            Some(key),
            Some(body),
        )
        .await
    }

    pub async fn list_credentials(&self, key: &str, query: &str) -> Answer {
        self.call(
            Method::GET,
            &format!("/api/organization/credentials{query}"),
            Some(key),
            None,
        )
        .await
    }

    pub async fn get_credential(&self, key: &str, id: &str) -> Answer {
        self.call(
            Method::GET,
            &format!("/api/organization/credentials/{id}"),
            Some(key),
            None,
        )
        .await
    }

    pub async fn patch_credential(&self, key: &str, id: &str, body: &Value) -> Answer {
        self.call(
            Method::PATCH,
            &format!("/api/organization/credentials/{id}"),
            Some(key),
            Some(body),
        )
        .await
    }

    pub async fn delete_credential(&self, key: &str, id: &str) -> Answer {
        self.call(
            Method::DELETE,
            &format!("/api/organization/credentials/{id}"),
            Some(key),
            None,
        )
        .await
    }

    pub async fn verify(&self, key: &str, id: &str, body: &Value) -> Answer {
        self.call(
            Method::POST,
            &format!("/api/organization/credentials/{id}/verify"),
            Some(key),
            Some(body),
        )
        .await
    }

    pub async fn get_settings(&self, key: &str) -> Answer {
        self.call(Method::GET, "/api/organization/settings", Some(key), None)
            .await
    }

    pub async fn put_settings(&self, key: &str, body: &Value) -> Answer {
        self.call(
            Method::PUT,
            "/api/organization/settings",
            Some(key),
            Some(body),
        )
        .await
    }

    /// An Auth Token credential of `org` for a fresh, active, full sandbox account; its id.
    pub async fn credential(&self, org: &TestOrg) -> String {
        let account = self.full_account().await;
        self.add_token_credential(org, &account).await
    }

    /// Adds an Auth Token credential for `account` and returns its id.
    pub async fn add_token_credential(&self, org: &TestOrg, account: &TwilioAccount) -> String {
        let answer = self
            .create_twilio(
                &org.key,
                &json!({"account_sid": account.sid, "auth_token": account.token, "from_number": account.number}),
            )
            .await;
        answer.assert_status(StatusCode::CREATED);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// A sandbox account (`"Full"`/`"Trial"`, `"active"`/`"suspended"`) with one SMS number.
    pub async fn twilio_account(&self, kind: &str, status: &str) -> TwilioAccount {
        let number = random_number();
        let body = json!({"type": kind, "status": status});
        let created = self.sandbox.account_with_number(body, &number).await;
        TwilioAccount {
            sid: created.account_sid,
            token: created.auth_token,
            number,
        }
    }

    /// An active, full (not trial) sandbox account with one SMS number.
    pub async fn full_account(&self) -> TwilioAccount {
        self.twilio_account("Full", "active").await
    }

    /// A new API key (SK…) of a sandbox account: (sid, secret).
    pub async fn twilio_api_key(&self, account: &TwilioAccount) -> (String, String) {
        let path = format!("/accounts/{}/keys", account.sid);
        let key = self.sandbox.control(Method::POST, &path, json!({})).await;
        (
            key["sid"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn suspend(&self, account: &TwilioAccount) {
        let path = format!("/accounts/{}", account.sid);
        let body = json!({"status": "suspended"});
        self.sandbox.control(Method::PATCH, &path, body).await;
    }

    /// What a sandbox phone received.
    pub async fn inbox(&self, number: &str) -> Vec<Value> {
        let response = self
            .client
            .get(format!(
                "{}/sandbox/phones/{number}/messages",
                self.sandbox.url()
            ))
            .send()
            .await
            .unwrap();
        if response.status() == reqwest::StatusCode::BAD_REQUEST {
            // The sandbox refuses to list a number that is not E.164: Twilio could not have
            // delivered anything to it either.
            return Vec::new();
        }
        response.json().await.unwrap()
    }

    /// Puts the sealed secrets of credential `from` onto credential `onto`, as a botched restore or
    /// an attacker with database access would: the blobs are bound to `from`, so `onto` no longer opens.
    pub async fn move_secrets(&self, from: &str, onto: &str) {
        const SQL: &str = "UPDATE credential_secrets SET ciphertext = \
            (SELECT s.ciphertext FROM credential_secrets s WHERE s.credential_id = $1 AND s.field = credential_secrets.field) \
            WHERE credential_id = $2";
        let changed = crate::support::raw::execute(&self.db, SQL, from, onto).await;
        assert!(changed > 0);
    }

    /// Every response body this app answered so far, joined.
    pub fn everything_seen(&self) -> String {
        self.seen.lock().unwrap().join("\n")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
