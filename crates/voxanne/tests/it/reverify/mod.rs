//! Scheduled re-verification over real sockets: the server re-checks its credentials on a
//! shortened interval against the sandbox, which suspends accounts, answers 503 or revokes
//! Google grants on request.

mod claim;
mod schedule;
mod shared;
mod twilio;

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::support::app::{TestApp, TestOrg};

/// A server whose re-verifier runs every `secs` seconds.
pub async fn app_rechecking_every(secs: u64) -> (TestApp, TestOrg) {
    let app = TestApp::spawn_with(|server| {
        server.reverify_interval_secs = NonZeroU64::new(secs).unwrap();
    })
    .await;
    let org = app.org().await;
    (app, org)
}

/// Polls credential `id` until `done` holds for its JSON (failing after `within`).
pub async fn wait_for_credential(
    app: &TestApp,
    org: &TestOrg,
    id: &str,
    within: Duration,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let credential = app.get_credential(&org.key, id).await.body;
        if done(&credential) {
            return credential;
        }
        assert!(
            started.elapsed() < within,
            "{what} did not happen within {within:?}; the credential reads {credential:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the metric line that starts with `series` (e.g.
/// `voxanne_credential_rechecks_total{outcome="verified"}`), 0 when absent.
pub fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The server's metrics text.
pub async fn metrics_of(url: &str) -> String {
    let response = reqwest::Client::new()
        .request(Method::GET, format!("{url}/metrics"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.text().await.unwrap()
}

/// The check `name` of the credential's last report.
pub fn last_check<'a>(credential: &'a Value, name: &str) -> &'a Value {
    credential["last_verification"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {credential:#}"))
        .iter()
        .find(|check| check["id"] == name)
        .unwrap_or_else(|| panic!("no `{name}` check: {credential:#}"))
}
