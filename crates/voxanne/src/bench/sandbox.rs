//! Sandbox benchmark: Create Message throughput and latency at a fixed number of connections.
//!
//! The target from the foundation issue is ≥ 20,000 creates/s with p99 < 5 ms at 16 concurrent
//! connections on 2 cores; the load generator shares those cores, so the figure is conservative.

use std::time::Duration;

use anyhow::{Context, bail};
use sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;

use super::load::{LoadResult, closed_loop};

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

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .context("building the HTTP client")?;
    let url = format!(
        "{base}/2010-04-01/Accounts/{}/Messages.json",
        account.account_sid
    );
    // Everything that does not change per request is built once, so the load generator spends
    // its share of the two cores on requests, not on re-encoding them.
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", account.account_sid, account.auth_token)
        )
    );
    let result = closed_loop(
        concurrency,
        Duration::from_secs(1),
        Duration::from_secs(seconds),
        move |seq| {
            let body = format!(
                "To=%2B1415{:07}&From=%2B14155550100&Body=Hot+lead%3A+Maria+Lopez%2C+knee+pain%2C+call+back+today+3pm",
                5_550_000 + seq % 10_000
            );
            let request = client
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, &auth)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
            async move {
                match request.send().await {
                    // Reading the body to its end keeps the connection alive for the next one.
                    Ok(r) => r.status().as_u16() == 201 && r.bytes().await.is_ok(),
                    Err(_) => false,
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
