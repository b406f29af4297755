//! Real `voxanne serve` processes: a kill -9 mid-burst followed by a restart, and two servers
//! sharing one PostgreSQL database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use voxanne::ids::OrgId;
use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

use super::world::{distinct_phones, phone};
use crate::support::Fetch;
use crate::support::database::TestDb;
use crate::support::store::twilio_credential_of;
use crate::support::twilio_sandbox::TwilioSandbox;

/// One `voxanne serve` child process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Everything the servers share: the database, the master key, the sandbox, one clinic.
struct Fleet {
    db: TestDb,
    key: SecretString,
    sandbox: TwilioSandbox,
    api_key: String,
    account_sid: String,
    http: reqwest::Client,
}

impl Fleet {
    async fn new() -> Fleet {
        let db = TestDb::new().await;
        let master = MasterKey::generate();
        let key = master.to_base64();
        let store = Store::open(&db.url, Keyring::new(vec![master]).unwrap())
            .await
            .unwrap();
        let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig {
            step_delay: Duration::from_millis(2),
            hang_for: Duration::from_secs(3),
            ..sandbox::SandboxConfig::default()
        })
        .await;
        let http = reqwest::Client::new();
        let from = phone();
        let account = sandbox.account_with_number(json!({}), &from).await;
        let sid = account.account_sid.clone();
        let org: OrgId = store.create_organization("Fleet Clinic").await.unwrap().id;
        // These tests count texts, not the sending quota: the highest limits a clinic can set.
        store
            .set_quota_limits(
                &org,
                voxanne::store::QuotaLimitsPatch {
                    texts_per_minute: Some(10_000),
                    texts_per_day: Some(1_000_000),
                },
            )
            .await
            .unwrap();
        let token = SecretString::from(account.auth_token.clone());
        store
            .insert_credential(&org, twilio_credential_of("main", &sid, &from, token))
            .await
            .unwrap();
        let (_, api_key) = store.create_api_key(&org).await.unwrap();
        let api_key = api_key.secret().expose_secret().to_owned();
        store.close().await;
        Fleet {
            db,
            key,
            sandbox,
            api_key,
            account_sid: sid,
            http,
        }
    }

    /// Starts `voxanne serve` on `port` with short leases and delays, and waits for its
    /// "listening" line.
    fn serve(&self, port: u16) -> Server {
        self.serve_with(
            port,
            &[
                ("VOXANNE_TWILIO_TIMEOUT_SECS", "1"),
                ("VOXANNE_DISPATCH_LEASE_SECS", "2"),
                ("VOXANNE_DISPATCH_RECONCILE_DELAY_MS", "200"),
                ("VOXANNE_DISPATCH_STUCK_AFTER_SECS", "1"),
                ("VOXANNE_DISPATCH_STUCK_INTERVAL_SECS", "1"),
            ],
        )
    }

    /// Starts `voxanne serve` on `port` with `timings` (production defaults for the rest).
    fn serve_with(&self, port: u16, timings: &[(&str, &str)]) -> Server {
        let url = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_voxanne"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &url,
            ])
            .env("VOXANNE_DATABASE_URL", &self.db.url)
            // Exposed only to hand the child process its master key.
            .env("VOXANNE_MASTER_KEY", self.key.expose_secret())
            .env("VOXANNE_TWILIO_BASE_URL", self.sandbox.url())
            .env("VOXANNE_RATE_LIMIT_PER_SECOND", "100000")
            .env("VOXANNE_RATE_LIMIT_BURST", "100000")
            .envs(timings.iter().copied())
            .env("VOXANNE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(
            line.contains("listening on"),
            "unexpected first line: {line:?}"
        );
        Server { child, url }
    }

    /// `POST /api/messages` of a reminder to `to` at `url`: its id and `to` when it was
    /// accepted (202), `None` when it was refused or the connection failed.
    fn reminder(
        &self,
        url: &str,
        to: String,
    ) -> impl std::future::Future<Output = Option<(String, String)>> + use<> {
        let request = self
            .http
            .post(format!("{url}/api/messages"))
            .bearer_auth(&self.api_key)
            .json(&json!({"to": to, "body": format!("Reminder for {to}")}));
        async move {
            let response = request.send().await.ok()?;
            (response.status() == StatusCode::ACCEPTED).then_some(())?;
            let body: Value = response.json().await.ok()?;
            Some((body["id"].as_str()?.to_owned(), to))
        }
    }

    /// Queues one message per recipient through `server`, `parallel` at a time; returns the ids
    /// of the accepted ones with their recipient.
    async fn burst(
        &self,
        server: &Server,
        recipients: &[String],
        parallel: usize,
    ) -> Vec<(String, String)> {
        futures::stream::iter(recipients.iter().cloned())
            .map(|to| self.reminder(&server.url, to))
            .buffer_unordered(parallel)
            .filter_map(|accepted| async move { accepted })
            .collect()
            .await
    }

    /// [`Fleet::burst`] through `server`, killed (SIGKILL) as soon as `kill_after` requests
    /// were answered 202 while the rest are still in flight. Returns the accepted ones.
    async fn burst_killed_midway(
        &self,
        server: Server,
        recipients: &[String],
        parallel: usize,
        kill_after: usize,
    ) -> Vec<(String, String)> {
        let url = server.url.clone();
        let mut server = Some(server);
        let mut answers = futures::stream::iter(recipients.iter().cloned())
            .map(|to| self.reminder(&url, to))
            .buffer_unordered(parallel);
        let mut accepted = Vec::new();
        while let Some(answer) = answers.next().await {
            if let Some(answer) = answer {
                accepted.push(answer);
            }
            if accepted.len() >= kill_after {
                drop(server.take());
            }
        }
        accepted
    }

    /// How many status callbacks `server` received (its `/metrics`): each one reports on a
    /// message that this very process handed to Twilio, since the callback URL names it.
    async fn callbacks_received(&self, server: &Server) -> u64 {
        let metrics = self
            .http
            .get(format!("{}/metrics", server.url))
            .fetch_text()
            .await;
        metrics
            .lines()
            .filter(|line| {
                line.starts_with("voxanne_http_requests_total")
                    && line.contains("route=\"/twilio/status/")
                    && line.contains("status=\"204\"")
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    async fn status(&self, server: &Server, id: &str) -> String {
        self.message(server, id).await["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// `GET /api/messages/{id}` on `server`.
    async fn message(&self, server: &Server, id: &str) -> Value {
        let request = || {
            self.http
                .get(format!("{}/api/messages/{id}", server.url))
                .bearer_auth(&self.api_key)
                .send()
        };
        // A pooled connection to a killed server fails once; the retry opens a fresh one.
        let response = match request().await {
            Ok(response) => response,
            Err(_) => request().await.unwrap(),
        };
        response.json().await.unwrap()
    }

    /// Waits until every message is delivered; returns the ones that are not.
    async fn wait_delivered(
        &self,
        server: &Server,
        ids: &[(String, String)],
        within: Duration,
    ) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut pending: Vec<String> = ids.iter().map(|(id, _)| id.clone()).collect();
        while !pending.is_empty() && Instant::now() < deadline {
            let mut still = Vec::new();
            for id in pending {
                if self.status(server, &id).await != "delivered" {
                    still.push(id);
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        pending
    }

    async fn inbox_len(&self, to: &str) -> usize {
        self.sandbox.inbox(to).await.len()
    }

    async fn arm(&self, mut fault: Value) {
        fault["account_sid"] = json!(self.account_sid);
        self.sandbox
            .control(reqwest::Method::POST, "/faults", fault)
            .await;
    }
}

#[tokio::test]
async fn a_server_killed_mid_burst_loses_nothing_and_sends_nothing_twice_after_restart() {
    let fleet = Fleet::new().await;
    let port = free_port();
    let first = fleet.serve(port);
    let recipients = distinct_phones(120);

    // Some sends take effect at Twilio but their answer never arrives, so the killed server
    // leaves messages whose fate only Twilio knows.
    fleet
        .arm(json!({"fault": "close", "process": true, "count": 3}))
        .await;
    fleet
        .arm(json!({"fault": "hang", "process": true, "count": 3}))
        .await;
    // SIGKILL once half of the first 80 requests were answered, the rest still in flight and
    // the dispatcher still sending: requests answered 202 must all be delivered, exactly once.
    let accepted_before = fleet
        .burst_killed_midway(first, &recipients[..80], 16, 40)
        .await;
    assert!(
        accepted_before.len() < 80,
        "the kill came mid-burst ({} of 80 accepted)",
        accepted_before.len()
    );
    let second = fleet.serve(port);
    let accepted_after = fleet.burst(&second, &recipients[80..], 16).await;
    let all: Vec<(String, String)> = accepted_before.into_iter().chain(accepted_after).collect();

    assert!(
        all.len() >= 80,
        "the requests before the kill and all after it were accepted ({})",
        all.len()
    );
    let undelivered = fleet
        .wait_delivered(&second, &all, Duration::from_secs(40))
        .await;
    assert!(undelivered.is_empty(), "lost: {undelivered:?}");
    for (_, to) in &all {
        assert_eq!(
            fleet.inbox_len(to).await,
            1,
            "{to} got a duplicate or nothing"
        );
    }
    // A request cut off by the kill may or may not have been queued; it never goes out twice.
    for to in &recipients {
        assert!(fleet.inbox_len(to).await <= 1, "{to} got a duplicate");
    }
}

#[tokio::test]
async fn with_production_leases_a_send_in_flight_at_a_kill_goes_out_once_within_seconds_of_the_restart()
 {
    let fleet = Fleet::new().await;
    let port = free_port();
    // Production timings: a 60 s lease and a 10 minute stuck threshold, which before heartbeats
    // held a crashed server's claims for a minute.
    let first = fleet.serve_with(port, &[]);
    // Twilio creates the text, then its answer hangs: the send is in flight when the kill comes.
    fleet
        .arm(json!({"fault": "hang", "process": true, "count": 1}))
        .await;
    let to = distinct_phones(1);
    let accepted = fleet.burst(&first, &to, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(first);

    let second = fleet.serve_with(port, &[]);
    let restarted = Instant::now();
    let undelivered = fleet
        .wait_delivered(&second, &accepted, Duration::from_secs(10))
        .await;
    // Settled means the claim was taken over and reconciled: the Twilio SID is recorded (a
    // status callback alone does not record it).
    let (id, _) = &accepted[0];
    let mut settled = false;
    while !settled && restarted.elapsed() < Duration::from_secs(10) {
        settled = fleet.message(&second, id).await["twilio_sid"].is_string();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    assert!(
        undelivered.is_empty(),
        "not delivered within 10 s of the restart: {undelivered:?}"
    );
    assert!(
        settled,
        "the dead server's claim was not taken over within 10 s"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fleet.inbox_len(&to[0]).await, 1, "adopted, not sent twice");
}

#[tokio::test]
async fn two_servers_on_one_postgres_deliver_a_thousand_messages_without_duplicates() {
    if !fleet_is_postgres() {
        println!(
            "skipped: two servers sharing a database need PostgreSQL (set VOXANNE_TEST_DATABASE_URL=postgres://…)"
        );
        return;
    }
    let fleet = Fleet::new().await;
    let (a, b) = (fleet.serve(free_port()), fleet.serve(free_port()));
    let recipients = distinct_phones(1000);

    let (via_a, via_b) = tokio::join!(
        fleet.burst(&a, &recipients[..500], 8),
        fleet.burst(&b, &recipients[500..], 8)
    );
    let all: Vec<(String, String)> = via_a.into_iter().chain(via_b).collect();

    assert_eq!(all.len(), 1000);
    let undelivered = fleet
        .wait_delivered(&a, &all, Duration::from_secs(90))
        .await;
    assert!(
        undelivered.is_empty(),
        "{} not delivered",
        undelivered.len()
    );
    for (_, to) in &all {
        assert_eq!(fleet.inbox_len(to).await, 1, "{to}");
    }
    let (sent_by_a, sent_by_b) = (
        fleet.callbacks_received(&a).await,
        fleet.callbacks_received(&b).await,
    );
    assert!(
        sent_by_a > 0 && sent_by_b > 0,
        "both processes sent: callbacks to a {sent_by_a}, to b {sent_by_b}"
    );
}

fn fleet_is_postgres() -> bool {
    std::env::var("VOXANNE_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}
