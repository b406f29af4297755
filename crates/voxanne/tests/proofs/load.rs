//! Load: a steady mix of sends and reads against one `voxanne serve` process. The 99th
//! percentile stays under 250 ms, nothing answers 5xx, and the process stays under 512 MiB.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::fleet::{Fleet, free_port, phone};
use crate::size::{Size, report};

/// One request of the mix, by its position in the sequence.
fn request(fleet: &Fleet, url: &str, i: usize, known: Option<&str>) -> reqwest::RequestBuilder {
    let org = &fleet.orgs[i % fleet.orgs.len()];
    let builder = match (i % 20, known) {
        // 25% plain sends, 10% hot leads.
        (0..=4, _) => fleet
            .http
            .post(format!("{url}/api/messages"))
            .json(&json!({"to": phone(), "body": "Your appointment is tomorrow at 9"})),
        (5..=6, _) => fleet.http.post(format!("{url}/api/messages/hot-lead")).json(
            &json!({"lead": {"name": "Maria Lopez", "phone": "+14155550123", "reason": "Toothache"}, "to": [phone()]}),
        ),
        // 20% one message, 30% a page of the list, 15% the settings.
        (7..=10, Some(id)) if i.is_multiple_of(fleet.orgs.len()) => {
            fleet.http.get(format!("{url}/api/messages/{id}"))
        }
        (7..=16, _) => fleet.http.get(format!("{url}/api/messages?limit=20")),
        _ => fleet.http.get(format!("{url}/api/organization/settings")),
    };
    builder.bearer_auth(&org.api_key)
}

#[tokio::test]
async fn a_mixed_load_keeps_p99_under_250_ms_with_no_5xx_and_bounded_memory() {
    let size = Size::from_env();
    let (rate, seconds) = (size.pick(100u32, 200), size.pick(10u64, 60));
    let fleet = Fleet::with_orgs(3).await;
    let server = fleet.serve_with(free_port(), &[]);
    let url = server.url.clone();
    // A message of the first clinic, for the single-message reads.
    let known = fleet
        .send(&url, 0, phone(), false)
        .await
        .map(|accepted| accepted.id);

    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
    let total = rate as usize * seconds as usize;
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        ticker.tick().await;
        let request = request(&fleet, &url, i, known.as_deref());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let status = request.send().await.map(|r| r.status());
            (started.elapsed(), status.ok())
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let (mut server_errors, mut failed) = (0usize, 0usize);
    for task in tasks {
        let (latency, status) = task.await.unwrap();
        latencies.push(latency);
        match status {
            Some(status) if status.is_server_error() => server_errors += 1,
            Some(status) if status == StatusCode::TOO_MANY_REQUESTS => failed += 1,
            Some(_) => {}
            None => failed += 1,
        }
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    let p50 = latencies[latencies.len() / 2];
    let rss_mib = server.peak_rss_kib().unwrap_or_default() / 1024;

    report(&format!(
        "load {rate} req/s mixed for {seconds} s ({total} requests): p50 {} ms, p99 {} ms, {server_errors} × 5xx, {failed} refused or failed, peak RSS {rss_mib} MiB",
        p50.as_millis(),
        p99.as_millis()
    ));
    assert_eq!((server_errors, failed), (0, 0));
    assert!(p99 <= Duration::from_millis(250), "p99 {p99:?}");
    assert!(rss_mib < 512, "{rss_mib} MiB");
}
