//! A webhook receiver in the test: axum on 127.0.0.1:0 that keeps every request it gets and
//! answers the status the test sets (200, or 503 while it is "down"), after the delay it sets.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// What the receiver answered.
    pub answered: u16,
    /// The sender's end of the connection.
    pub peer: SocketAddr,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap().to_owned()
    }

    /// The headers as the reference library takes them.
    pub fn headers(&self) -> Value {
        serde_json::json!({
            "webhook-id": self.id,
            "webhook-timestamp": self.timestamp,
            "webhook-signature": self.signature,
        })
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn receive(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let answered = shared.answer.load(Ordering::SeqCst);
    shared.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered,
        peer,
    });
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Shared::default();
        shared.answer.store(200, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(shared.clone());
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    /// From now on, answer `status`.
    pub fn answer(&self, status: u16) {
        self.shared.answer.store(status, Ordering::SeqCst);
    }

    /// From now on, answer each request this long after it arrived (it is kept on arrival).
    pub fn delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap();
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests it answered 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `done` holds for what was accepted, or fails after `within`.
    pub async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let accepted = self.accepted();
            if done(&accepted) {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; received: {:#?}",
                self.all()
                    .iter()
                    .map(|r| (r.answered, r.body.clone()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs the reference library (PyPI `standardwebhooks`) over `cases` (headers, body) with
/// `secret`: "ok" or the error per case. `None` when its venv is missing outside CI (the check is
/// then skipped, as the browser tests skip without Chromium); under `CI=true` a missing venv fails.
pub fn reference_verify(secret: &str, cases: &[(Value, String)]) -> Option<Vec<String>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/webhooks");
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!(
                "the webhook tests need tests/webhooks/.venv in CI: run tests/webhooks/setup.sh"
            );
        }
        eprintln!("skipping the reference-library check: run tests/webhooks/setup.sh to enable it");
        return None;
    }
    let input = serde_json::json!({
        "secret": secret,
        "cases": cases.iter().map(|(headers, body)| serde_json::json!({"headers": headers, "body": body})).collect::<Vec<_>>(),
    });
    let mut child = std::process::Command::new(python)
        .arg(root.join("verify.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "verify.py failed");
    Some(serde_json::from_slice(&output.stdout).unwrap())
}
