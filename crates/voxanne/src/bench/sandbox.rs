//! Sandbox benchmark: Create Message throughput and latency at a fixed number of connections.
//!
//! The target from the foundation issue is ≥ 20,000 creates/s with p99 < 5 ms at 16 concurrent
//! connections on 2 cores; the load generator shares those cores, so the figure is conservative.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;

use super::load::{LoadResult, closed_loop};
use super::wire;

#[derive(Deserialize)]
struct NewAccount {
    account_sid: String,
    auth_token: String,
}

/// Starts an in-process sandbox, creates an account with one SMS number and measures Create Message.
pub async fn run(concurrency: usize, seconds: u64) -> anyhow::Result<LoadResult> {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .context("starting the sandbox")?;
    let base = sandbox.url().to_owned();
    let control = reqwest::Client::new();
    let account: NewAccount = control
        .post(format!("{base}/sandbox/accounts"))
        .json(&serde_json::json!({"friendly_name": "bench", "type": "Full"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let from = "+14155550100"; // also spelled out, form-encoded, in each request body below
    control
        .post(format!(
            "{base}/sandbox/accounts/{}/numbers",
            account.account_sid
        ))
        .json(&serde_json::json!({"phone_number": from, "sms": true}))
        .send()
        .await?
        .error_for_status()?;

    let path = format!("/2010-04-01/Accounts/{}/Messages.json", account.account_sid);
    let authority = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // Everything that does not change per request is built once, so the load generator spends
    // its share of the two cores on requests, not on re-encoding them.
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", account.account_sid, account.auth_token)
        )
    );
    // Ten thousand recipients, so inboxes stay small and realistic.
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..10_000u64)
            .map(|i| {
                let body = format!(
                    "To=%2B1415{:07}&From=%2B14155550100&Body=Hot+lead%3A+Maria+Lopez%2C+knee+pain%2C+call+back+today+3pm",
                    5_550_000 + i
                );
                wire::form_post(&authority, &path, &auth, &body)
            })
            .collect(),
    );
    let mut connections = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        connections.push(Some(
            wire::Connection::open(&authority)
                .await
                .context("connecting to the sandbox")?,
        ));
    }
    let reopen = authority.clone();
    let result = closed_loop(
        connections,
        Duration::from_secs(1),
        Duration::from_secs(seconds),
        move |connection: Option<wire::Connection>, seq| {
            let requests = Arc::clone(&requests);
            let authority = reopen.clone();
            async move {
                // A connection that failed is replaced, and the failure counted.
                let mut connection = match connection {
                    Some(c) => c,
                    None => match wire::Connection::open(&authority).await {
                        Ok(c) => c,
                        Err(_) => return (None, false),
                    },
                };
                let request = &requests[(seq % requests.len() as u64) as usize];
                match connection.round_trip(request).await {
                    Ok(status) => (Some(connection), status == 201),
                    Err(_) => (None, false),
                }
            }
        },
    )
    .await;
    sandbox.shutdown().await;
    if result.ok == 0 {
        bail!("no Create Message succeeded ({} errors)", result.errors);
    }
    Ok(result)
}
