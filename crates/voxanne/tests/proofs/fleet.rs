//! Real `voxanne serve` processes sharing one database, the sandbox and some clinics: started,
//! killed (SIGKILL), stopped (SIGSTOP) and sent to. Moved here from the `it` binary's delivery
//! tests, where it served one clinic.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use voxanne::store::{QuotaLimitsPatch, Store};
use voxanne::vault::{Keyring, MasterKey};

use crate::support::Fetch;
use crate::support::database::TestDb;
use crate::support::store::twilio_credential_of;
use crate::support::twilio_sandbox::{AccountCreds, TwilioSandbox};

/// One `voxanne serve` child process; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The process's peak resident memory (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A random phone in the sandbox's always-delivered range.
pub fn phone() -> String {
    use rand::Rng;
    let n: u32 = rand::rng().random_range(2_000_000..7_000_000);
    format!("+1555{n:07}")
}

/// `count` different phones: one text per phone is how duplicates are counted.
pub fn distinct_phones(count: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    std::iter::repeat_with(phone)
        .filter(|p| seen.insert(p.clone()))
        .take(count)
        .collect()
}

/// A clinic of the fleet: its API key and its Twilio account.
pub struct FleetOrg {
    pub api_key: String,
    pub account_sid: String,
    pub auth_token: String,
}

/// A send the service accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: String,
    pub to: String,
    pub hot_lead: bool,
}

/// Everything the servers share: the database, the master key, the sandbox, the clinics.
pub struct Fleet {
    pub db: TestDb,
    key: SecretString,
    pub sandbox: TwilioSandbox,
    pub orgs: Vec<FleetOrg>,
    pub http: reqwest::Client,
}

impl Fleet {
    /// One clinic.
    pub async fn new() -> Fleet {
        Self::with_orgs(1).await
    }

    /// `count` clinics, each with its own sandbox account, number and API key, and the highest
    /// sending quota (these proofs count texts, not the quota).
    pub async fn with_orgs(count: usize) -> Fleet {
        Self::build(TestDb::new().await, count, false).await
    }

    /// `count` clinics that registered the same Twilio account and From number.
    pub async fn sharing_one_account(count: usize) -> Fleet {
        Self::build(TestDb::new().await, count, true).await
    }

    /// `count` clinics on `db`, each with its own Twilio account or (`one_account`) all on one.
    pub async fn build(db: TestDb, count: usize, one_account: bool) -> Fleet {
        Self::build_with_steps(db, count, one_account, Duration::from_millis(2)).await
    }

    /// [`Fleet::build`] with the sandbox carrier taking `step_delay` per status step (a text's
    /// callbacks then arrive over `3 × step_delay` after it was sent).
    pub async fn build_with_steps(
        db: TestDb,
        count: usize,
        one_account: bool,
        step_delay: Duration,
    ) -> Fleet {
        let master = MasterKey::generate();
        let key = master.to_base64();
        let store = Store::open(&db.url, Keyring::new(vec![master]).unwrap())
            .await
            .unwrap();
        let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig {
            step_delay,
            hang_for: Duration::from_secs(3),
            ..sandbox::SandboxConfig::default()
        })
        .await;
        let mut orgs = Vec::new();
        let mut shared: Option<(AccountCreds, String)> = None;
        for i in 0..count {
            let (account, from) = match &shared {
                Some(both) if one_account => both.clone(),
                _ => {
                    let from = phone();
                    let account = sandbox.account_with_number(json!({}), &from).await;
                    shared = Some((account.clone(), from.clone()));
                    (account, from)
                }
            };
            let org = store
                .create_organization(&format!("Fleet Clinic {i}"))
                .await
                .unwrap()
                .id;
            store
                .set_quota_limits(
                    &org,
                    QuotaLimitsPatch {
                        texts_per_minute: Some(10_000),
                        texts_per_day: Some(1_000_000),
                    },
                )
                .await
                .unwrap();
            let token = SecretString::from(account.auth_token.clone());
            store
                .insert_credential(
                    &org,
                    twilio_credential_of("main", &account.account_sid, &from, token),
                )
                .await
                .unwrap();
            let (_, api_key) = store.create_api_key(&org).await.unwrap();
            orgs.push(FleetOrg {
                api_key: api_key.secret().expose_secret().to_owned(),
                account_sid: account.account_sid,
                auth_token: account.auth_token,
            });
        }
        store.close().await;
        Fleet {
            db,
            key,
            sandbox,
            orgs,
            http: reqwest::Client::new(),
        }
    }

    /// Starts `voxanne serve` on `port` with short leases and delays, and waits for its
    /// "listening" line.
    pub fn serve(&self, port: u16) -> Server {
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

    /// Starts `voxanne serve` on `port` with `timings` (production defaults for the rest; the
    /// log level too, `VOXANNE_LOG`).
    pub fn serve_with(&self, port: u16, timings: &[(&str, &str)]) -> Server {
        let url = format!("http://127.0.0.1:{port}");
        // `VOXANNE_PROOF_BIN` runs another build (e.g. `target/release/voxanne` for the load
        // figure at full size); by default the binary this test was built with.
        let bin = std::env::var("VOXANNE_PROOF_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_voxanne").to_owned());
        let mut child = Command::new(bin)
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
            .env("VOXANNE_LOG", "warn")
            .envs(timings.iter().copied())
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

    /// `POST /api/messages` (or, for `hot_lead`, `/api/messages/hot-lead` to `to` alone) for
    /// clinic `org` at `url`: what was accepted (202), `None` when refused or cut off.
    pub fn send(
        &self,
        url: &str,
        org: usize,
        to: String,
        hot_lead: bool,
    ) -> impl std::future::Future<Output = Option<Accepted>> + use<> {
        let (path, body) = if hot_lead {
            (
                "hot-lead",
                json!({"lead": {"name": "Maria Lopez", "phone": "+14155550123", "reason": "Toothache"}, "to": [to]}),
            )
        } else {
            ("", json!({"to": to, "body": format!("Reminder for {to}")}))
        };
        let path = if path.is_empty() {
            format!("{url}/api/messages")
        } else {
            format!("{url}/api/messages/{path}")
        };
        let request = self
            .http
            .post(path)
            .bearer_auth(&self.orgs[org].api_key)
            .json(&body);
        async move {
            let response = request.send().await.ok()?;
            (response.status() == StatusCode::ACCEPTED).then_some(())?;
            let body: Value = response.json().await.ok()?;
            let message = if hot_lead {
                &body["messages"][0]
            } else {
                &body
            };
            Some(Accepted {
                id: message["id"].as_str()?.to_owned(),
                to,
                hot_lead,
            })
        }
    }

    /// A reminder from the first clinic: its id and `to` when accepted.
    pub fn reminder(
        &self,
        url: &str,
        to: String,
    ) -> impl std::future::Future<Output = Option<(String, String)>> + use<> {
        let send = self.send(url, 0, to, false);
        async move { send.await.map(|a| (a.id, a.to)) }
    }

    /// Reminders from the first clinic, one per recipient, `parallel` at a time: the accepted
    /// ones' ids and recipients.
    pub async fn reminders(
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
    pub async fn burst_killed_midway(
        &self,
        server: Server,
        recipients: &[String],
        parallel: usize,
        kill_after: usize,
    ) -> Vec<Accepted> {
        let url = server.url.clone();
        let orgs = self.orgs.len();
        let mut server = Some(server);
        let mut answers = futures::stream::iter(recipients.iter().cloned().enumerate())
            .map(|(i, to)| self.send(&url, i % orgs, to, i % 10 == 0))
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

    /// How many status callbacks `server` received (its `/metrics`).
    pub async fn callbacks_received(&self, server: &Server) -> u64 {
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

    /// `GET /api/messages/{id}` of clinic `org` on `server`.
    pub async fn message_of(&self, server: &Server, org: usize, id: &str) -> Value {
        let request = || {
            self.http
                .get(format!("{}/api/messages/{id}", server.url))
                .bearer_auth(&self.orgs[org].api_key)
                .send()
        };
        // A pooled connection to a killed server fails once; the retry opens a fresh one.
        let response = match request().await {
            Ok(response) => response,
            Err(_) => request().await.unwrap(),
        };
        response.json().await.unwrap()
    }

    pub async fn message(&self, server: &Server, id: &str) -> Value {
        self.message_of(server, 0, id).await
    }

    /// Every message's status, read through the API page by page, per clinic.
    pub async fn statuses(&self, server: &Server) -> std::collections::HashMap<String, String> {
        let mut statuses = std::collections::HashMap::new();
        for org in &self.orgs {
            let mut cursor = String::new();
            loop {
                let page: Value = self
                    .http
                    .get(format!(
                        "{}/api/messages?limit=100&cursor={cursor}",
                        server.url
                    ))
                    .bearer_auth(&org.api_key)
                    .fetch_json()
                    .await;
                for message in page["messages"].as_array().into_iter().flatten() {
                    statuses.insert(
                        message["id"].as_str().unwrap_or_default().to_owned(),
                        message["status"].as_str().unwrap_or_default().to_owned(),
                    );
                }
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = next.to_owned(),
                    None => break,
                }
            }
        }
        statuses
    }

    /// Waits until every message is delivered; returns the ones that are not.
    pub async fn wait_delivered(
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
                if self.message(server, &id).await["status"] != "delivered" {
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

    pub async fn inbox_len(&self, to: &str) -> usize {
        self.sandbox.inbox(to).await.len()
    }

    /// Arms a sandbox fault on the first clinic's account.
    pub async fn arm(&self, fault: Value) {
        self.arm_for(0, fault).await;
    }

    pub async fn arm_for(&self, org: usize, mut fault: Value) {
        fault["account_sid"] = json!(self.orgs[org].account_sid);
        self.sandbox
            .control(reqwest::Method::POST, "/faults", fault)
            .await;
    }
}

pub fn fleet_is_postgres() -> bool {
    std::env::var("VOXANNE_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}
