//! Create Message throughput and latency of the sandbox at 16 concurrent keep-alive connections,
//! client in the same process (so on the same cores, as the target says).
//!
//! `cargo bench -p sandbox --bench create_message` (env `BENCH_SECONDS`, default 5, and
//! `BENCH_CONNECTIONS`, default 16). The client is a minimal HTTP/1.1 writer/reader so that it
//! costs far less than the server it measures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let seconds = env_number("BENCH_SECONDS", 5);
    let connections = env_number("BENCH_CONNECTIONS", 16);
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let request = setup(&sandbox).await;
    let addr = sandbox.url().trim_start_matches("http://").to_owned();

    // Warm up, then measure.
    run(&addr, &request, connections, Duration::from_millis(500)).await;
    let started = Instant::now();
    let (histogram, errors) = run(&addr, &request, connections, Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();

    let count = histogram.len();
    println!("sandbox Create Message, {connections} connections, {seconds} s");
    println!(
        "  throughput: {:.0} creates/s ({count} ok, {errors} errors)",
        count as f64 / elapsed
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        histogram.value_at_quantile(0.50) as f64 / 1000.0,
        histogram.value_at_quantile(0.99) as f64 / 1000.0,
        histogram.value_at_quantile(0.999) as f64 / 1000.0,
        histogram.max() as f64 / 1000.0,
    );
    sandbox.shutdown().await;
}

/// An account with a number; returns the raw bytes of one Create Message request.
async fn setup(sandbox: &Sandbox) -> Vec<u8> {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let creds: Value = http
        .post(format!("{}/sandbox/accounts", sandbox.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = creds["account_sid"].as_str().unwrap();
    let token = creds["auth_token"].as_str().unwrap();
    http.post(format!("{}/sandbox/accounts/{sid}/numbers", sandbox.url()))
        .json(&json!({"phone_number": "+14155550100"}))
        .send()
        .await
        .unwrap();
    let body = "To=%2B14155550123&From=%2B14155550100&Body=New+lead%3A+Jane+Doe+%28555%29+010-0199+wants+a+cleaning+Tue+10am";
    let auth = STANDARD.encode(format!("{sid}:{token}"));
    format!(
        "POST /2010-04-01/Accounts/{sid}/Messages.json HTTP/1.1\r\nHost: bench\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn run(
    addr: &str,
    request: &[u8],
    connections: u64,
    duration: Duration,
) -> (Histogram<u64>, u64) {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (addr, request) = (addr.to_owned(), request.to_vec());
            tokio::spawn(async move { connection(&addr, &request, deadline).await })
        })
        .collect();
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut errors = 0;
    for task in tasks {
        let (histogram, failed) = task.await.unwrap();
        total.add(histogram).unwrap();
        errors += failed;
    }
    (total, errors)
}

/// One keep-alive connection sending requests back to back until `deadline`.
async fn connection(addr: &str, request: &[u8], deadline: Instant) -> (Histogram<u64>, u64) {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut errors = 0;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buffer = Vec::with_capacity(4096);
    while Instant::now() < deadline {
        let sent = Instant::now();
        stream.write_all(request).await.unwrap();
        let status = read_response(&mut stream, &mut buffer).await;
        histogram.record(sent.elapsed().as_micros() as u64).unwrap();
        if status != 201 {
            errors += 1;
        }
    }
    (histogram, errors)
}

/// Reads one response (headers + Content-Length body); returns its status code.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> u16 {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return head[9..12].parse().unwrap();
            }
        }
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "connection closed");
        buffer.extend_from_slice(&chunk[..read]);
    }
}
