//! A database outage while requests keep coming: PostgreSQL stopped (a throwaway cluster of the
//! proof's own), or SQLite's write lock held by another connection (a backup or an operator's
//! open transaction), for 20 s at full size. No request waits more than 5 s: during the outage
//! the API answers 503 with its JSON error shape and `/readyz` says not ready; nothing accepted
//! (202) is lost or sent twice, and the same process serves again once the database is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::fleet::{Fleet, free_port, phone};
use crate::size::{Size, database, report};
use crate::support::database::TestDb;
use crate::support::pg_cluster::PgCluster;

/// The longest any request may wait, outage or not.
const LONGEST_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Send,
    Read,
    Ready,
}

/// One request of the steady traffic and its answer.
#[derive(Debug)]
struct Answer {
    kind: Kind,
    started: Instant,
    took: Duration,
    status: Option<StatusCode>,
    /// `{"error": {"code", "message"}}`: the API's error shape.
    error_shape: bool,
    /// A send answered 202: the message id and its phone.
    accepted: Option<(String, String)>,
}

async fn ask(http: reqwest::Client, url: String, api_key: String, kind: Kind) -> Answer {
    let to = phone();
    let request = match kind {
        Kind::Send => http
            .post(format!("{url}/api/messages"))
            .json(&json!({"to": to, "body": "Your appointment is tomorrow at 9"})),
        Kind::Read => http.get(format!("{url}/api/messages?limit=5")),
        Kind::Ready => http.get(format!("{url}/readyz")),
    };
    let started = Instant::now();
    let response = request.bearer_auth(api_key).send().await;
    let (status, body) = match response {
        Ok(response) => {
            let status = response.status();
            (Some(status), response.json::<Value>().await.ok())
        }
        Err(_) => (None, None),
    };
    let took = started.elapsed();
    let body = body.unwrap_or(Value::Null);
    Answer {
        kind,
        started,
        took,
        status,
        error_shape: body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        accepted: (kind == Kind::Send && status == Some(StatusCode::ACCEPTED))
            .then(|| body["id"].as_str().map(|id| (id.to_owned(), to)))
            .flatten(),
    }
}

/// Ten requests a second (sends, reads, readiness probes) until `stop`; every answer.
async fn traffic(fleet: &Fleet, url: &str, stop: Arc<AtomicBool>) -> Vec<Answer> {
    // Far above the 5 s any answer may take, so a hang is measured, not cut off.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut tasks = Vec::new();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let kind = match i % 4 {
            0 | 1 => Kind::Send,
            2 => Kind::Read,
            _ => Kind::Ready,
        };
        tasks.push(tokio::spawn(ask(
            http.clone(),
            url.to_owned(),
            fleet.orgs[0].api_key.clone(),
            kind,
        )));
        i += 1;
    }
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// What makes the database unavailable, and how it comes back.
enum Outage {
    Postgres(Arc<PgCluster>),
    /// A connection of another process holding SQLite's write lock (`BEGIN EXCLUSIVE`).
    Sqlite(String, Option<sqlx::SqliteConnection>),
}

impl Outage {
    fn what(&self) -> &'static str {
        match self {
            Outage::Postgres(_) => "PostgreSQL stopped",
            Outage::Sqlite(..) => "SQLite's write lock held by another connection",
        }
    }

    /// How long after the database went away the service can know of it: a stopped PostgreSQL
    /// refuses at once; a locked SQLite file shows only when a write has waited out the busy
    /// timeout (2 s).
    fn noticed_after(&self) -> Duration {
        match self {
            Outage::Postgres(_) => Duration::ZERO,
            Outage::Sqlite(..) => Duration::from_secs(3),
        }
    }

    async fn begin(&mut self) {
        match self {
            Outage::Postgres(cluster) => {
                let cluster = cluster.clone();
                tokio::task::spawn_blocking(move || cluster.stop())
                    .await
                    .unwrap();
            }
            Outage::Sqlite(url, lock) => {
                let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::raw_sql("BEGIN EXCLUSIVE")
                    .execute(&mut connection)
                    .await
                    .unwrap();
                *lock = Some(connection);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::Postgres(cluster) => {
                let cluster = cluster.clone();
                tokio::task::spawn_blocking(move || cluster.resume())
                    .await
                    .unwrap();
            }
            Outage::Sqlite(_, lock) => {
                let mut connection = lock.take().unwrap();
                sqlx::raw_sql("ROLLBACK")
                    .execute(&mut connection)
                    .await
                    .unwrap();
                connection.close().await.unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_within_5_s_loses_nothing_and_recovers_without_a_restart() {
    let size = Size::from_env();
    let length = size.pick(Duration::from_secs(6), Duration::from_secs(20));
    // The carrier takes a second per step, so the callbacks of every text sent in the seconds
    // before the outage arrive during it and are refused: Twilio does not send them again, and
    // the service must still learn those texts' fate soon after the database is back.
    let steps = Duration::from_secs(1);
    // The cluster outlives the fleet, whose database is dropped in it.
    let cluster;
    let (fleet, mut outage) = if database() == "postgres" {
        if let Some(why) = PgCluster::unavailable() {
            println!("skipped: the PostgreSQL outage needs a cluster of its own: {why}");
            return;
        }
        cluster = Arc::new(PgCluster::start(free_port()));
        let db = TestDb::postgres(&cluster.admin_url()).await;
        let fleet = Fleet::build_with_steps(db, 1, false, steps).await;
        (fleet, Outage::Postgres(cluster.clone()))
    } else {
        let fleet = Fleet::build_with_steps(TestDb::new().await, 1, false, steps).await;
        let url = fleet.db.url.clone();
        (fleet, Outage::Sqlite(url, None))
    };
    // Errors only, or the outage fills the output. At full size production timings; at small
    // size short leases, so a send whose claim could not be written during the outage is
    // taken again within seconds instead of after the 60 s lease (CI's time).
    let short: &[(&str, &str)] = &[
        ("VOXANNE_LOG", "error"),
        ("VOXANNE_TWILIO_TIMEOUT_SECS", "1"),
        ("VOXANNE_DISPATCH_LEASE_SECS", "2"),
        ("VOXANNE_DISPATCH_RECONCILE_DELAY_MS", "200"),
        ("VOXANNE_DISPATCH_STUCK_AFTER_SECS", "1"),
        ("VOXANNE_DISPATCH_STUCK_INTERVAL_SECS", "1"),
    ];
    let timings = size.pick(short, &short[..1]);
    let mut server = fleet.serve_with(free_port(), timings);
    let stop = Arc::new(AtomicBool::new(false));
    let driving = {
        let stop = stop.clone();
        let url = server.url.clone();
        let fleet = &fleet;
        async move { traffic(fleet, &url, stop).await }
    };
    let timeline = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let down = Instant::now();
        outage.begin().await;
        // From `gone` to `back` the database is certainly away (stopping and starting take a
        // moment on either side).
        let gone = Instant::now();
        tokio::time::sleep(length.saturating_sub(down.elapsed())).await;
        let back = Instant::now();
        outage.end().await;
        let up = Instant::now();
        tokio::time::sleep(Duration::from_secs(8)).await;
        stop.store(true, Ordering::Relaxed);
        (down, gone, back, up)
    };
    let (answers, (down, gone, back, up)) = tokio::join!(driving, timeline);
    let outage_length = up - down;

    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.started >= down && a.started < up)
        .collect();
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    let too_slow: Vec<&Answer> = answers.iter().filter(|a| a.took > LONGEST_WAIT).collect();
    let unavailable = during
        .iter()
        .filter(|a| a.status == Some(StatusCode::SERVICE_UNAVAILABLE) && a.error_shape)
        .count();
    let served = during
        .iter()
        .filter(|a| a.status.is_some_and(|s| s.is_success()))
        .count();
    let wrong: Vec<&&Answer> = during
        .iter()
        .filter(|a| {
            !(a.status.is_some_and(|s| s.is_success())
                || (a.status == Some(StatusCode::SERVICE_UNAVAILABLE) && a.error_shape))
        })
        .collect();
    let noticed = outage.noticed_after();
    let probes: Vec<&&Answer> = during
        .iter()
        .filter(|a| a.kind == Kind::Ready)
        .filter(|a| a.started >= gone + noticed && a.started + a.took < back)
        .collect();
    let ready_during = probes
        .iter()
        .filter(|a| a.status == Some(StatusCode::OK))
        .count();
    let recovered = answers
        .iter()
        .filter(|a| a.started >= up && a.accepted.is_some())
        .map(|a| (a.started + a.took) - up)
        .min();
    let after_refused = answers
        .iter()
        .filter(|a| a.started >= up + LONGEST_WAIT && !a.status.is_some_and(|s| s.is_success()))
        .count();
    let accepted: Vec<(String, String)> =
        answers.iter().filter_map(|a| a.accepted.clone()).collect();
    let mut undelivered = fleet
        .wait_delivered(&server, &accepted, Duration::from_secs(10))
        .await;
    if !undelivered.is_empty() {
        // Not settled 10 s after the traffic stopped: show where they stand, then wait on.
        for id in undelivered.iter().take(3) {
            println!("not delivered yet: {}", fleet.message(&server, id).await);
        }
        let left: Vec<(String, String)> = accepted
            .iter()
            .filter(|(id, _)| undelivered.contains(id))
            .cloned()
            .collect();
        undelivered = fleet
            .wait_delivered(&server, &left, Duration::from_secs(50))
            .await;
    }
    let settled = up.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (mut unsent, mut doubled) = (0, 0);
    for (_, to) in &accepted {
        match fleet.inbox_len(to).await {
            0 => unsent += 1,
            1 => {}
            _ => doubled += 1,
        }
    }
    let restarted = server.child.try_wait().unwrap().is_some();

    report(&format!(
        "database outage {:.1} s ({}) under 10 req/s: {} requests, {} during it ({unavailable} × 503 with the JSON error, {served} served, {} other); slowest answer {:.2} s; /readyz not ready {}/{} from {} s into it until its end; first send accepted {} after; no restart: {}; {} accepted, {} lost, {unsent} never texted, {doubled} doubled, all delivered {:.0} s after it (traffic went on 8 s past it)",
        outage_length.as_secs_f64(),
        outage.what(),
        answers.len(),
        during.len(),
        wrong.len(),
        slowest.as_secs_f64(),
        probes.len() - ready_during,
        probes.len(),
        noticed.as_secs(),
        recovered.map_or("never".to_owned(), |r| format!("{:.2} s", r.as_secs_f64())),
        !restarted,
        accepted.len(),
        undelivered.len(),
        settled.as_secs_f64(),
    ));
    assert!(too_slow.is_empty(), "waited over 5 s: {too_slow:#?}");
    assert!(
        wrong.is_empty(),
        "neither served nor a JSON 503: {wrong:#?}"
    );
    let said_ready: Vec<(Duration, Duration)> = probes
        .iter()
        .filter(|a| a.status == Some(StatusCode::OK))
        .map(|a| (a.started - gone, a.took))
        .collect();
    assert!(
        said_ready.is_empty(),
        "/readyz said ready during the outage (started after the database went, took): {said_ready:?}"
    );
    assert!(
        unavailable > 0,
        "the outage refused nothing: it proves nothing"
    );
    assert!(recovered.is_some() && after_refused == 0, "not recovered");
    assert!(!restarted, "the process exited");
    for id in undelivered.iter().take(3) {
        println!("not delivered: {}", fleet.message(&server, id).await);
    }
    assert_eq!((undelivered.len(), unsent, doubled), (0, 0, 0));
}
