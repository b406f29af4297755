//! HTTP API benchmark: authenticated `GET /api/organization/credentials` and
//! `POST /api/organization/credentials/{id}/verify` (against the in-process Twilio sandbox),
//! each driven by 16 concurrent connections; prints throughput and p50/p99 latency.
//!
//! Run: `cargo bench -p voxanne --bench api` (SQLite in a temp dir; set
//! `VOXANNE_BENCH_DATABASE_URL=postgres://…/db` for PostgreSQL, `VOXANNE_BENCH_SECS` to change
//! the 5-second phases). Wall-clock figures on a shared 2-core machine vary; compare within a run.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use voxanne::config::ServerSettings;
use voxanne::config::Settings;
use voxanne::vault::MasterKey;

const CONNECTIONS: usize = 16;

struct Phase {
    name: &'static str,
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
}

async fn drive(
    base: &str,
    key: &str,
    phase: &Phase,
    seconds: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let url = format!("{base}{}", phase.path);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, key, method, body) = (
            client.clone(),
            url.clone(),
            key.to_owned(),
            phase.method.clone(),
            phase.body.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let mut request = client.request(method.clone(), &url).bearer_auth(&key);
                if let Some(body) = &body {
                    request = request.json(body);
                }
                let at = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                let micros = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX);
                histogram.record(micros.max(1)).map_err(|e| e.to_string())?;
                failures += u64::from(!ok);
            }
            Ok::<_, String>((histogram, failures))
        }));
    }
    let mut total = Histogram::<u64>::new(3)?;
    let mut failures = 0;
    for worker in workers {
        let (histogram, failed) = worker.await??;
        total.add(histogram)?;
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{:<48} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} failed, {CONNECTIONS} connections)",
        phase.name,
        total.len() as f64 / elapsed,
        total.value_at_quantile(0.50) as f64 / 1000.0,
        total.value_at_quantile(0.99) as f64 / 1000.0,
        total.len(),
        failures,
    );
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = std::env::var("VOXANNE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let database_url = std::env::var("VOXANNE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::default()).await?;
    let control = reqwest::Client::new();
    let account: Value = control
        .post(format!("{}/sandbox/accounts", sandbox.url()))
        .json(&json!({}))
        .send()
        .await?
        .json()
        .await?;
    let account_sid = account["account_sid"]
        .as_str()
        .ok_or("no account_sid")?
        .to_owned();
    let number = "+14155550100";
    control
        .post(format!(
            "{}/sandbox/accounts/{account_sid}/numbers",
            sandbox.url()
        ))
        .json(&json!({"phone_number": number, "sms": true}))
        .send()
        .await?;

    let settings = Settings {
        database_url: Some(database_url),
        master_key: Some(MasterKey::generate().to_base64()),
        server: ServerSettings {
            twilio_base_url: sandbox.url().to_owned(),
            rate_limit_per_second: NonZeroU32::MAX,
            rate_limit_burst: NonZeroU32::MAX,
            ..ServerSettings::default()
        },
        ..Settings::default()
    };
    let state = voxanne::app::app_state(&settings).await?;
    let store = state.services.store.clone();
    let org = store.create_organization("Bench Clinic").await?;
    let (_, api_key) = store.create_api_key(&org.id).await?;
    let key = Arc::new(api_key.secret().expose_secret().to_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(voxanne::app::serve(listener, state, std::future::pending()));

    let created: Value = control
        .post(format!("{base}/api/organization/credentials/twilio"))
        .bearer_auth(key.as_str())
        .json(&json!({"account_sid": account_sid, "auth_token": account["auth_token"], "from_number": number}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"]
        .as_str()
        .ok_or("credential not created")?
        .to_owned();

    let phases = [
        Phase {
            name: "GET /api/organization/credentials",
            method: reqwest::Method::GET,
            path: "/api/organization/credentials".to_owned(),
            body: None,
        },
        Phase {
            name: "POST …/credentials/{id}/verify (sandbox)",
            method: reqwest::Method::POST,
            path: format!("/api/organization/credentials/{id}/verify"),
            body: Some(json!({})),
        },
    ];
    println!(
        "voxanne API benchmark: {seconds} s per phase, {} backend",
        if settings
            .database_url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres"))
        {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for phase in &phases {
        drive(&base, &key, phase, seconds).await?;
    }
    sandbox.shutdown().await;
    Ok(())
}

fn main() -> std::process::ExitCode {
    // `cargo bench` passes `--bench`; any other argument (e.g. a filter) is ignored.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
