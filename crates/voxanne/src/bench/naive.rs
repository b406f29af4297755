//! `bench vs-naive`: Voxanne against what a clinic's developer would write instead, in one run.
//!
//! The naive inline server (`bench/naive/server.js`: Node, npm `twilio` 5.x) reads the org's
//! credentials and calls Twilio inline with a fresh client per request. Voxanne runs as a
//! `voxanne serve` child of this binary (status callbacks on, rate limit out of the way). Both
//! send through one in-process sandbox, each in turn driven by the same closed loop of plain
//! `POST /api/messages` on keep-alive connections. Then, in the same run, the service's own cost
//! of a hot lead (sandbox carrier steps at 0 ms) and the backlog drain next to the sandbox's own
//! Create Message rate (the `bench delivery` and `bench sandbox` code).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sandbox::{Sandbox, SandboxConfig};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::children::{self, Database, ServeSetup};
use super::load::{LoadResult, closed_loop};
use super::wire;
use crate::demo::{SandboxAccount, add_verified_credential, sandbox_account};
use crate::vault::MasterKey;

/// Benchmark knobs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `postgres://…` of a server where fresh databases may be created; `None` runs on SQLite.
    pub database_url: Option<String>,
    pub seconds: u64,
    pub connections: usize,
    /// Hot leads per second for the service-cost phase.
    pub hot_lead_rate: u32,
    pub backlog: usize,
}

/// One server under the closed loop.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub accepted: u64,
    pub errors: u64,
    pub accepted_per_second: f64,
    pub accept_p50_ms: f64,
    pub accept_p99_ms: f64,
    /// Texts the sandbox handed to phones during the measured window.
    pub delivered_in_window: u64,
    /// Texts handed to phones from the window's start until the queue ran dry.
    pub delivered_until_drained: u64,
    /// Seconds from the window's start to the last text handed to a phone.
    pub drained_after_seconds: f64,
    /// `delivered_until_drained / drained_after_seconds`: what reached phones per second.
    pub delivered_per_second: f64,
    /// CPU the server process used from the load's start until the texts were drained, per
    /// text delivered (where it spends the two cores it shares with the sandbox and the load).
    pub server_cpu_ms_per_text: Option<f64>,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub backend: String,
    pub seconds: u64,
    pub connections: usize,
    pub naive: Side,
    pub voxanne: Side,
    /// Voxanne ÷ naive.
    pub accepted_ratio: f64,
    pub delivered_ratio: f64,
    /// The service's own cost of a hot lead: the API request → Twilio (the sandbox) accepting
    /// the text, at 50/s with the sandbox's carrier steps at 0 ms.
    pub hot_lead_p50_ms: i64,
    pub hot_lead_p99_ms: i64,
    /// The same hot leads from acceptance to the phone (adds the carrier's three steps, each at
    /// least a millisecond of the sandbox's timer).
    pub hot_lead_phone_p50_ms: i64,
    pub hot_lead_phone_p99_ms: i64,
    pub backlog: usize,
    pub backlog_per_second: f64,
    pub sandbox_create_per_second: f64,
    /// Backlog drain ÷ the sandbox's own Create Message rate.
    pub backlog_ratio: f64,
}

/// A text as the sandbox's phones report it.
#[derive(Deserialize)]
struct Received {
    received_at: DateTime<Utc>,
}

/// Distinct recipients per side (and so, per side, an area code of its own to count by).
const PHONES: u64 = 10_000;
const NAIVE_AREA: &str = "+1630";
const VOXANNE_AREA: &str = "+1631";
const WARMUP: Duration = Duration::from_secs(1);

pub async fn run(plan: &Plan) -> anyhow::Result<Figures> {
    let naive_dir = children::install_naive_server().await?;
    let dir = std::env::temp_dir().join(format!("voxanne-bench-naive-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(plan, &naive_dir, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(plan: &Plan, naive_dir: &Path, dir: &Path) -> anyhow::Result<Figures> {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .context("starting the sandbox")?;
    let sandbox_url = sandbox.url().to_owned();
    let account = sandbox_account(&sandbox_url).await?;

    let naive = naive_side(plan, naive_dir, dir, &sandbox_url, &account).await;
    let voxanne = match &naive {
        Ok(_) => voxanne_side(plan, dir, &sandbox_url, &account).await,
        Err(_) => Err(anyhow::anyhow!("skipped")),
    };
    sandbox.shutdown().await;
    let (naive, voxanne) = (naive?, voxanne?);

    // The service's own cost and the drain, with the code of `bench delivery` / `bench sandbox`
    // (which makes, and drops, a database of its own on the server named).
    let delivery = super::delivery::run(super::delivery::Plan {
        database_url: plan.database_url.clone(),
        rate: plan.hot_lead_rate,
        seconds: plan.seconds,
        backlog: plan.backlog,
        step_delay: Duration::ZERO,
    })
    .await?;
    let creates = super::sandbox::run(plan.connections, 5).await?;

    Ok(Figures {
        backend: delivery.backend.to_lowercase(),
        seconds: plan.seconds,
        connections: plan.connections,
        accepted_ratio: voxanne.accepted_per_second / naive.accepted_per_second.max(f64::EPSILON),
        delivered_ratio: voxanne.delivered_per_second
            / naive.delivered_per_second.max(f64::EPSILON),
        naive,
        voxanne,
        hot_lead_p50_ms: delivery.handoff_p50_ms,
        hot_lead_p99_ms: delivery.handoff_p99_ms,
        hot_lead_phone_p50_ms: delivery.latency_p50_ms,
        hot_lead_phone_p99_ms: delivery.latency_p99_ms,
        backlog: delivery.backlog,
        backlog_per_second: delivery.dispatch_per_second,
        sandbox_create_per_second: creates.per_second,
        backlog_ratio: delivery.dispatch_per_second / creates.per_second.max(f64::EPSILON),
    })
}

/// The Node server, its credentials in a JSON file it reads on every request.
async fn naive_side(
    plan: &Plan,
    naive_dir: &Path,
    dir: &Path,
    sandbox_url: &str,
    account: &SandboxAccount,
) -> anyhow::Result<Side> {
    let api_key = format!("naive_{}", uuid::Uuid::new_v4().simple());
    let credentials = dir.join("naive-credentials.json");
    let file = serde_json::json!({
        "api_key": api_key,
        "account_sid": account.account_sid,
        "auth_token": account.auth_token,
        "from": crate::demo::CLINIC_NUMBER,
        "twilio_base_url": sandbox_url,
    });
    std::fs::write(&credentials, file.to_string())?;
    let server = children::start_naive(naive_dir, &credentials).await?;
    let side = measure(plan, &server, &api_key, sandbox_url, NAIVE_AREA).await;
    server.stop().await;
    side
}

/// `voxanne serve` on a fresh database, with an organization, its API key and its verified
/// Twilio credential set up the way a clinic's are.
async fn voxanne_side(
    plan: &Plan,
    dir: &Path,
    sandbox_url: &str,
    account: &SandboxAccount,
) -> anyhow::Result<Side> {
    let database = Database::create(plan.database_url.as_deref(), dir, "serve").await?;
    let side = voxanne_on(plan, dir, &database.url, sandbox_url, account).await;
    database.drop_now().await?;
    side
}

async fn voxanne_on(
    plan: &Plan,
    dir: &Path,
    database_url: &str,
    sandbox_url: &str,
    account: &SandboxAccount,
) -> anyhow::Result<Side> {
    let key_file = dir.join("master.key");
    let master = MasterKey::generate();
    std::fs::write(&key_file, master.to_base64().expose_secret())?;
    let store = crate::store::Store::open(database_url, crate::vault::Keyring::new(vec![master])?)
        .await
        .context("opening the benchmark's database")?;
    let org = store.create_organization("Bench Clinic").await?;
    // The benchmark measures sending, not the sending quota (the naive server has none): limits
    // above anything a clinic can set, so no request is refused for it.
    store
        .set_quota_limits(
            &org.id,
            crate::store::QuotaLimitsPatch {
                texts_per_minute: Some(u32::MAX),
                texts_per_day: Some(u32::MAX),
            },
        )
        .await?;
    let (_record, api_key) = store.create_api_key(&org.id).await?;
    store.close().await;
    let api_key = api_key.secret().clone();

    let data_dir = dir.join("serve-data");
    let server = children::start_voxanne(ServeSetup {
        database_url,
        data_dir: &data_dir,
        master_key_file: &key_file,
        twilio_base_url: sandbox_url,
        log_file: &dir.join("serve.log"),
    })
    .await?;
    let side = async {
        add_verified_credential(&server.url, &api_key, account).await?;
        measure(
            plan,
            &server,
            api_key.expose_secret(),
            sandbox_url,
            VOXANNE_AREA,
        )
        .await
    }
    .await;
    server.stop().await;
    side
}

/// Drives `POST {base}/api/messages` for the plan's window, then waits for the texts to reach
/// their phones.
async fn measure(
    plan: &Plan,
    server: &children::Running,
    api_key: &str,
    sandbox_url: &str,
    area: &str,
) -> anyhow::Result<Side> {
    let base = &server.url;
    let authority = base.trim_start_matches("http://").to_owned();
    let auth = format!("Bearer {api_key}");
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..PHONES)
            .map(|i| {
                let body = serde_json::json!({
                    "to": format!("{area}{:07}", 2_000_000 + i),
                    "body": "Hot lead: Maria Lopez, knee pain, call back today 3pm",
                });
                wire::json_post(&authority, "/api/messages", &auth, &body.to_string())
            })
            .collect(),
    );
    let mut connections = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        connections.push(Some(wire::Connection::open(&authority).await?));
    }
    let window_start = Utc::now() + WARMUP;
    let cpu_before = server.cpu_seconds();
    let load = closed_loop(
        connections,
        WARMUP,
        Duration::from_secs(plan.seconds),
        move |connection: Option<wire::Connection>, seq| {
            let requests = Arc::clone(&requests);
            let authority = authority.clone();
            async move {
                let mut connection = match connection {
                    Some(c) => c,
                    None => match wire::Connection::open(&authority).await {
                        Ok(c) => c,
                        Err(_) => return (None, false),
                    },
                };
                let request = &requests[(seq % PHONES) as usize];
                match connection.round_trip(request).await {
                    Ok(status) => (Some(connection), status == 202),
                    Err(_) => (None, false),
                }
            }
        },
    )
    .await;
    if load.ok == 0 {
        bail!("{base}: no request was accepted ({} errors)", load.errors);
    }
    let window_end = window_start + chrono::Duration::seconds(plan.seconds as i64);
    let arrivals = drained_arrivals(sandbox_url, area, window_start).await?;
    let cpu = server
        .cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let mut side = side(&load, &arrivals, window_start, window_end);
    side.server_cpu_ms_per_text = cpu.map(|cpu| cpu * 1_000.0 / (arrivals.len().max(1) as f64));
    Ok(side)
}

fn side(
    load: &LoadResult,
    arrivals: &[DateTime<Utc>],
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Side {
    let in_window = arrivals.iter().filter(|at| **at <= window_end).count() as u64;
    let last = arrivals.iter().max().copied().unwrap_or(window_end);
    let drained_after = (last - window_start).num_microseconds().unwrap_or(0) as f64 / 1e6;
    let ms = |us: u64| us as f64 / 1_000.0;
    Side {
        accepted: load.ok,
        errors: load.errors,
        accepted_per_second: load.per_second,
        accept_p50_ms: ms(load.latency.p50_us),
        accept_p99_ms: ms(load.latency.p99_us),
        delivered_in_window: in_window,
        delivered_until_drained: arrivals.len() as u64,
        drained_after_seconds: drained_after,
        delivered_per_second: arrivals.len() as f64 / drained_after.max(f64::EPSILON),
        server_cpu_ms_per_text: None,
    }
}

/// Every arrival at a phone of `area` since `since`, once no new text has arrived for a second
/// (or after two minutes): the queue has run dry.
async fn drained_arrivals(
    sandbox_url: &str,
    area: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = usize::MAX;
    loop {
        let inboxes: BTreeMap<String, Vec<Received>> = http
            .get(format!("{sandbox_url}/sandbox/inboxes"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let arrivals: Vec<DateTime<Utc>> = inboxes
            .iter()
            .filter(|(phone, _)| phone.starts_with(area))
            .flat_map(|(_, inbox)| inbox.iter().map(|r| r.received_at))
            .filter(|at| *at >= since)
            .collect();
        if arrivals.len() == seen || Instant::now() >= deadline {
            return Ok(arrivals);
        }
        seen = arrivals.len();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The median of each figure over several runs (the README quotes medians of three), each
/// figure on its own (so one line may mix runs).
pub fn median(runs: &[Figures]) -> Option<Figures> {
    let first = runs.first()?;
    let med = |pick: &dyn Fn(&Figures) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let side = |of: &dyn Fn(&Figures) -> &Side| Side {
        accepted: med(&|f| of(f).accepted as f64) as u64,
        errors: med(&|f| of(f).errors as f64) as u64,
        accepted_per_second: med(&|f| of(f).accepted_per_second),
        accept_p50_ms: med(&|f| of(f).accept_p50_ms),
        accept_p99_ms: med(&|f| of(f).accept_p99_ms),
        delivered_in_window: med(&|f| of(f).delivered_in_window as f64) as u64,
        delivered_until_drained: med(&|f| of(f).delivered_until_drained as f64) as u64,
        drained_after_seconds: med(&|f| of(f).drained_after_seconds),
        delivered_per_second: med(&|f| of(f).delivered_per_second),
        server_cpu_ms_per_text: runs
            .iter()
            .all(|f| of(f).server_cpu_ms_per_text.is_some())
            .then(|| med(&|f| of(f).server_cpu_ms_per_text.unwrap_or(0.0))),
    };
    Some(Figures {
        backend: first.backend.clone(),
        seconds: first.seconds,
        connections: first.connections,
        naive: side(&|f| &f.naive),
        voxanne: side(&|f| &f.voxanne),
        accepted_ratio: med(&|f| f.accepted_ratio),
        delivered_ratio: med(&|f| f.delivered_ratio),
        hot_lead_p50_ms: med(&|f| f.hot_lead_p50_ms as f64) as i64,
        hot_lead_p99_ms: med(&|f| f.hot_lead_p99_ms as f64) as i64,
        hot_lead_phone_p50_ms: med(&|f| f.hot_lead_phone_p50_ms as f64) as i64,
        hot_lead_phone_p99_ms: med(&|f| f.hot_lead_phone_p99_ms as f64) as i64,
        backlog: first.backlog,
        backlog_per_second: med(&|f| f.backlog_per_second),
        sandbox_create_per_second: med(&|f| f.sandbox_create_per_second),
        backlog_ratio: med(&|f| f.backlog_ratio),
    })
}
