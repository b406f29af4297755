//! A running world for delivery tests: the sandbox (Twilio), a fresh database, the delivery
//! machinery, and a real HTTP server that receives the sandbox's signed status callbacks.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use rand::Rng;
use sandbox::SandboxConfig;
use secrecy::SecretString;
use serde_json::{Value, json};
use voxanne::delivery::Delivery;
use voxanne::dispatch::DispatchConfig;
use voxanne::dispatch::retry::RetryPolicy;
use voxanne::google_connection::GoogleSetup;
use voxanne::ids::{CredentialId, MessageId, OrgId};
use voxanne::messaging::{self, CallbackError, StatusCallback};
use voxanne::metrics::Metrics;
use voxanne::outbox::{MessageKind, MessageRecord, MessageStatus, NewMessage, now_ms};
use voxanne::services::Services;

use crate::support::TestStore;
use crate::support::store::twilio_credential_of;
use crate::support::twilio_sandbox::TwilioSandbox;

pub struct World {
    pub db: TestStore,
    pub sandbox: TwilioSandbox,
    pub delivery: Delivery,
    /// Our public base URL (the callback server).
    pub public_url: String,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

/// A clinic with its own sandbox Twilio account and a stored credential for it.
#[derive(Clone)]
pub struct Clinic {
    pub org: OrgId,
    pub credential: CredentialId,
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
}

/// Fast timings for tests; `tune` adjusts them further.
pub fn test_config(public_url: &str) -> DispatchConfig {
    DispatchConfig {
        batch_size: 64,
        concurrency: 16,
        workers: 1,
        lease: Duration::from_secs(10),
        idle_poll: Duration::from_millis(200),
        reconcile_delay: Duration::from_millis(50),
        stuck_after: Duration::from_millis(300),
        stuck_interval: Duration::from_millis(200),
        retry: RetryPolicy {
            base: Duration::from_millis(40),
            cap: Duration::from_millis(200),
            retry_after_min: Duration::from_millis(10),
            retry_after_max: Duration::from_secs(5),
            max_age: Duration::from_secs(60),
        },
        public_url: Some(public_url.to_owned()),
        ..DispatchConfig::default()
    }
}

/// Twilio's status callbacks, taken by the same use case the JSON API's endpoint calls.
async fn callback(
    State((services, public_url)): State<(Services, String)>,
    Path((org, message)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let callback = StatusCallback {
        org: &org,
        message: &message,
        query: uri.query(),
        signature: headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok()),
        form: &body,
    };
    match messaging::receive_status_report(&services, Some(&public_url), callback).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(CallbackError::NotAuthentic) => StatusCode::FORBIDDEN,
        Err(CallbackError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A random US number that is not one of the sandbox's scenario phones.
pub fn phone() -> String {
    let n: u32 = rand::rng().random_range(2_000_000..7_000_000);
    format!("+1555{n:07}")
}

impl World {
    pub async fn start(tune: impl FnOnce(&mut DispatchConfig)) -> World {
        let sandbox = TwilioSandbox::start_with(SandboxConfig {
            step_delay: Duration::from_millis(2),
            hang_for: Duration::from_secs(3),
            ..SandboxConfig::default()
        })
        .await;
        let db = TestStore::new().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public_url = format!("http://{}", listener.local_addr().unwrap());
        let mut config = test_config(&public_url);
        tune(&mut config);
        let mut twilio_config = twilio::Config::for_base_url(sandbox.url()).unwrap();
        twilio_config.timeout = Duration::from_millis(1500);
        let delivery = Delivery::new(&db.store, twilio_config, config).unwrap();
        let app = Router::new()
            .route("/twilio/status/{org}/{message}", post(callback))
            .with_state((
                Services {
                    store: db.store.clone(),
                    delivery: delivery.clone(),
                    google: GoogleSetup::NotConfigured,
                    metrics: Metrics::new(),
                    webhooks: voxanne::webhook_delivery::WebhookDelivery::new(
                        &db.store,
                        voxanne::webhook_delivery::WebhookConfig::default(),
                    )
                    .unwrap(),
                },
                public_url.clone(),
            ));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        World {
            db,
            sandbox,
            delivery,
            public_url,
            http: reqwest::Client::new(),
            server,
        }
    }

    /// POST to the sandbox's control API.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/sandbox{path}", self.sandbox.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "sandbox {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// A clinic with a fresh sandbox account, an owned From number, and its credential stored.
    pub async fn clinic(&self, name: &str) -> Clinic {
        let from = phone();
        let account = self
            .sandbox
            .account_with_number(json!({"friendly_name": name}), &from)
            .await;
        self.clinic_with(name, &account.account_sid, &account.auth_token, &from)
            .await
    }

    /// A clinic whose credential holds exactly these values (e.g. a wrong token).
    pub async fn clinic_with(
        &self,
        name: &str,
        account_sid: &str,
        auth_token: &str,
        from: &str,
    ) -> Clinic {
        let org = self.db.store.create_organization(name).await.unwrap().id;
        let token = SecretString::from(auth_token.to_owned());
        let new = twilio_credential_of(&format!("{name} Twilio"), account_sid, from, token);
        let credential = self.db.store.insert_credential(&org, new).await.unwrap().id;
        Clinic {
            org,
            credential,
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: from.to_owned(),
        }
    }

    /// Queues a message straight into the outbox (the API does the same after validation).
    pub async fn queue(&self, clinic: &Clinic, to: &str, body: &str) -> MessageId {
        let id = MessageId::generate();
        let message = NewMessage {
            id: id.clone(),
            credential_id: clinic.credential.clone(),
            kind: MessageKind::Sms,
            to: to.to_owned(),
            sender: clinic.from.clone(),
            body: body.to_owned(),
            segments: 1,
        };
        self.delivery
            .outbox()
            .enqueue(&clinic.org, &[message], None, now_ms())
            .await
            .unwrap();
        self.delivery.dispatcher().wake();
        id
    }

    /// What the sandbox phone received.
    pub async fn inbox(&self, phone: &str) -> Vec<Value> {
        self.sandbox.inbox(phone).await
    }

    pub async fn message(&self, clinic: &Clinic, id: &MessageId) -> MessageRecord {
        self.delivery
            .outbox()
            .get(clinic.org.as_str(), id.as_str())
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn timeline(&self, clinic: &Clinic, id: &MessageId) -> Vec<(String, Option<String>)> {
        self.delivery
            .outbox()
            .events(clinic.org.as_str(), id.as_str())
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.detail))
            .collect()
    }

    /// Waits until the message reaches `status` (callbacks or the reconciler move it).
    pub async fn wait_for(
        &self,
        clinic: &Clinic,
        id: &MessageId,
        status: MessageStatus,
    ) -> MessageRecord {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let message = self.message(clinic, id).await;
            if message.status == status {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "message stuck at {} (wanted {status}): {:?}",
                message.status,
                self.timeline(clinic, id).await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the phone's inbox holds `count` messages.
    pub async fn wait_for_inbox(&self, phone: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let inbox = self.inbox(phone).await;
            if inbox.len() >= count || Instant::now() > deadline {
                return inbox;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn shutdown(self) {
        self.server.abort();
        self.sandbox.shutdown().await;
    }
}
