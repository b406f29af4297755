//! A measurement, not a gate (run with `--ignored`): the overview and activity pages of a clinic
//! with 10,000 messages in its last 7 days, read by 16 connections at once; prints p50/p99 per
//! page after one first view.

use std::time::{Duration, Instant};

use super::client::Client;
use super::clinic;
use crate::api::app::TestApp;
use crate::support::raw::RawPool;

const MESSAGES: usize = 10_000;
const CONNECTIONS: usize = 16;
const REQUESTS_PER_CONNECTION: usize = 25;

const INSERT: &str = "INSERT INTO messages (id, org_id, credential_id, kind, to_number, sender, body, status, \
    status_rank, segments, needs_attention, callback_token, created_at, updated_at) \
    VALUES ($1, $2, 'cred_x', $3, '+14155550100', '+14155550101', 'hello', $4, 4, 1, 0, 'token', $5, $6)";

async fn seed(app: &TestApp, org: &str) {
    let now = voxanne::outbox::now_ms();
    let week_ms = 7 * 24 * 3_600_000i64;
    let rows: Vec<(String, &str, &str, i64)> = (0..MESSAGES)
        .map(|n| {
            let kind = if n % 3 == 0 { "hot_lead" } else { "sms" };
            let status = match n % 10 {
                0 => "failed",
                1 => "undelivered",
                _ => "delivered",
            };
            let at = now - (n as i64 * week_ms / MESSAGES as i64);
            (
                voxanne::ids::MessageId::generate().to_string(),
                kind,
                status,
                at,
            )
        })
        .collect();
    macro_rules! insert_all {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            for (id, kind, status, at) in &rows {
                sqlx::query(INSERT)
                    .bind(id)
                    .bind(org)
                    .bind(*kind)
                    .bind(*status)
                    .bind(*at)
                    .bind(*at + 1_500)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }};
    }
    // Straight into the table, as a busy week would have left it (the dispatcher ignores final
    // statuses), through the test database's own pool.
    match &app.db.raw {
        RawPool::Sqlite(pool) => insert_all!(pool),
        RawPool::Postgres(pool) => insert_all!(pool),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement: cargo test -p voxanne --test it -- --ignored dashboard::speed --nocapture"]
async fn overview_and_activity_with_10000_messages_and_16_connections() {
    let app = TestApp::spawn().await;
    let admin = clinic(&app, "owner@sunrise.example").await;
    seed(&app, admin.org.id.as_str()).await;
    for path in ["/dashboard", "/dashboard/activity"] {
        // One view first, as a clinic's admin would have made: the overview's counts are then
        // kept for 10 s (the figures below are the steady state, not the first count).
        let mut warm = Client::new(&app);
        warm.sign_in(&admin).await;
        let first = Instant::now();
        warm.get(path).await;
        println!("{path}: first view {:?}", first.elapsed());
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            let mut client = Client::new(&app);
            client.sign_in(&admin).await;
            let path = path.to_owned();
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                for _ in 0..REQUESTS_PER_CONNECTION {
                    let started = Instant::now();
                    let page = client.get(&path).await;
                    took.push(started.elapsed());
                    assert_eq!(page.status, reqwest::StatusCode::OK);
                }
                took
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all.sort();
        println!(
            "{path}: {} requests, p50 {:?}, p99 {:?} ({})",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            if matches!(app.db.raw, RawPool::Sqlite(_)) {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
    }
}
