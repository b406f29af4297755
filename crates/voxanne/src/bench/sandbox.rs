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
    let from = "+14155550100";
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
    let (sid, token) = (account.account_sid, account.auth_token);
    let result = closed_loop(
        concurrency,
        Duration::from_secs(1),
        Duration::from_secs(seconds),
        move |seq| {
            let request = client.post(&url).basic_auth(&sid, Some(&token)).form(&[
                ("To", format!("+1415{:07}", 5_550_000 + seq % 10_000)),
                ("From", from.to_owned()),
                (
                    "Body",
                    "Hot lead: Maria Lopez, knee pain, call back today 3pm".to_owned(),
                ),
            ]);
            async move { matches!(request.send().await, Ok(r) if r.status().as_u16() == 201) }
        },
    )
    .await;
    sandbox.shutdown().await;
    if result.ok == 0 {
        bail!("no Create Message succeeded ({} errors)", result.errors);
    }
    Ok(result)
}
