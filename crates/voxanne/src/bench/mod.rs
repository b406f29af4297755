//! `voxanne bench`: the repository's benchmarks, run as a command so the figures in the README can be
//! reproduced on any machine with one line. Each benchmark starts what it measures in-process on loopback
//! and prints plain figures; nothing here is a test (no thresholds fail a build).

pub mod booking;
mod children;
pub mod dashboard;
pub mod delivery;
pub mod load;
pub mod naive;
pub mod sandbox;
mod service;
pub mod vault;
mod wire;

use std::time::Duration;

use hdrhistogram::Histogram;

/// Latency figures of one run, in microseconds, from an HDR histogram (3 significant digits).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Latency {
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        Self {
            count: h.len(),
            p50_us: h.value_at_quantile(0.50),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }
}

/// Formats microseconds for humans: "742 µs" or "3.41 ms".
pub fn human_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else {
        format!("{:.2} ms", us as f64 / 1_000.0)
    }
}

/// Throughput in operations per second over a measured window.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        return 0.0;
    }
    count as f64 / elapsed.as_secs_f64()
}

/// Resident set size of this process in KiB, read from /proc (Linux); `None` elsewhere.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
