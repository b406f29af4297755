//! Real `voxanne serve` processes: kill -9 in the middle of a burst of bookings, then a restart;
//! two servers on one PostgreSQL database.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use voxanne::config::ServerSettings;
use voxanne::google_connection::{GoogleConnections, GoogleSetup};
use voxanne::ids::OrgId;
use voxanne::store::{AppointmentStatus, OrgSettings, Store};
use voxanne::vault::{Keyring, MasterKey};

use crate::support::database::TestDb;
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

/// What the servers share: the database, the master key, the sandbox and one clinic with its
/// calendar connected, open around the clock.
struct Fleet {
    db: TestDb,
    key: SecretString,
    sandbox: TwilioSandbox,
    client_id: String,
    client_secret: SecretString,
    api_key: String,
    org: OrgId,
    email: String,
    store: Store,
    http: reqwest::Client,
}

const PUBLIC: &str = "http://voxanne.test";

impl Fleet {
    async fn new() -> Fleet {
        let db = TestDb::new().await;
        let master = MasterKey::generate();
        let key = master.to_base64();
        let store = Store::open(&db.url, Keyring::new(vec![master]).unwrap())
            .await
            .unwrap();
        let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig::default()).await;
        let (client_id, client_secret) = voxanne::google_connection::demo::register_sandbox_client(
            sandbox.url(),
            &format!("{PUBLIC}/oauth/google/callback"),
        )
        .await
        .unwrap();
        let server = ServerSettings {
            google_client_id: Some(client_id.clone()),
            google_client_secret: Some(client_secret.clone()),
            google_base_url: Some(sandbox.url().to_owned()),
            ..ServerSettings::default()
        };
        let GoogleSetup::Ready(google) =
            GoogleConnections::from_settings(&server, store.clone(), Some(PUBLIC)).unwrap()
        else {
            panic!("Google is configured");
        };
        let org = store.create_organization("Fleet Clinic").await.unwrap().id;
        let email = format!("desk-{}@clinic.example", &OrgId::generate().as_str()[4..14]);
        voxanne::google_connection::demo::create_sandbox_user(sandbox.url(), &email)
            .await
            .unwrap();
        voxanne::google_connection::demo::connect_calendar(&google, &org, &email)
            .await
            .unwrap();
        let mut settings = OrgSettings::default();
        let all_day = [vec!["00:00".to_owned(), "24:00".to_owned()]];
        let always = voxanne::opening_hours::OpeningHours::parse(
            voxanne::opening_hours::DAY_KEYS
                .iter()
                .map(|d| (*d, all_day.as_slice())),
        )
        .unwrap();
        settings.booking.opening_hours = always;
        store.update_settings(&org, &settings).await.unwrap();
        let (_, api_key) = store.create_api_key(&org).await.unwrap();
        Fleet {
            db,
            key,
            sandbox,
            client_id,
            client_secret,
            api_key: api_key.secret().expose_secret().to_owned(),
            org,
            email,
            store,
            http: reqwest::Client::new(),
        }
    }

    fn serve(&self) -> Server {
        let port = free_port();
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
            // Exposed only to hand the child process its master key and Google client secret.
            .env("VOXANNE_MASTER_KEY", self.key.expose_secret())
            .env(
                "VOXANNE_GOOGLE_CLIENT_SECRET",
                self.client_secret.expose_secret(),
            )
            .env("VOXANNE_GOOGLE_CLIENT_ID", &self.client_id)
            .env("VOXANNE_GOOGLE_BASE_URL", self.sandbox.url())
            .env("VOXANNE_TWILIO_BASE_URL", self.sandbox.url())
            .env("VOXANNE_RATE_LIMIT_PER_SECOND", "100000")
            .env("VOXANNE_RATE_LIMIT_BURST", "100000")
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

    /// `POST /api/calendar/appointments` at `url` for 30 minutes from `start`: the status and
    /// the appointment id, `None` when the connection failed.
    fn book(
        &self,
        url: &str,
        start: String,
        key: String,
    ) -> impl std::future::Future<Output = Option<(StatusCode, Value)>> + use<> {
        let request = self
            .http
            .post(format!("{url}/api/calendar/appointments"))
            .bearer_auth(&self.api_key)
            .header("Idempotency-Key", key)
            .json(&json!({
                "start": start,
                "duration_minutes": 30,
                "lead": {"name": "Fleet Lead", "phone": "+14155552671"},
            }));
        async move {
            let response = request.send().await.ok()?;
            let status = response.status();
            let body: Value = response.json().await.ok()?;
            Some((status, body))
        }
    }

    /// Every event of the clinic at the stand-in, by the appointment id it carries.
    async fn events_by_appointment(&self) -> HashMap<String, Vec<Value>> {
        let path = format!(
            "{}/sandbox/google/users/{}/events",
            self.sandbox.url(),
            self.email
        );
        let events: Vec<Value> = self
            .http
            .get(path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut by_id: HashMap<String, Vec<Value>> = HashMap::new();
        for event in events {
            if event["status"] == "cancelled" {
                continue;
            }
            let id = event["extendedProperties"]["private"]["voxanne_appointment_id"]
                .as_str()
                .unwrap_or("none")
                .to_owned();
            by_id.entry(id).or_default().push(event);
        }
        by_id
    }

    /// Waits until no appointment is left `booking` or `canceling`.
    async fn settled(&self) -> Vec<voxanne::store::Appointment> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let all = self
                .store
                .list_appointments(&self.org, 0, i64::MAX, 100_000)
                .await
                .unwrap();
            let open = all
                .iter()
                .filter(|a| {
                    matches!(
                        a.status,
                        AppointmentStatus::Booking | AppointmentStatus::Canceling
                    )
                })
                .count();
            if open == 0 {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "{open} appointments still unsettled"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// The i-th half hour from 2030-02-01T00:00Z.
fn slot(i: usize) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2030-02-01T00:00:00Z").unwrap()
        + chrono::TimeDelta::minutes(30 * i64::try_from(i).unwrap());
    start.to_rfc3339()
}

#[tokio::test]
async fn after_a_kill_9_mid_burst_every_201_has_exactly_one_event_and_no_event_lacks_its_appointment()
 {
    let fleet = Fleet::new().await;
    let first = fleet.serve();
    let url = first.url.clone();
    let mut first = Some(first);

    let mut answers = futures::stream::iter(0..200)
        .map(|i| fleet.book(&url, slot(i), format!("burst-{i}")))
        .buffer_unordered(16);
    let mut created = Vec::new();
    while let Some(answer) = answers.next().await {
        if let Some((StatusCode::CREATED, body)) = answer {
            created.push(body["id"].as_str().unwrap().to_owned());
        }
        if created.len() >= 60 {
            // SIGKILL while the rest are in flight.
            drop(first.take());
        }
    }
    drop(answers);
    let _second = fleet.serve();
    let settled = fleet.settled().await;
    let events = fleet.events_by_appointment().await;

    assert!(
        created.len() >= 60 && created.len() < 200,
        "{}",
        created.len()
    );
    let status: HashMap<String, AppointmentStatus> = settled
        .iter()
        .map(|a| (a.id.to_string(), a.status))
        .collect();
    for id in &created {
        assert_eq!(status.get(id), Some(&AppointmentStatus::Booked), "{id}");
        assert_eq!(events.get(id).map(Vec::len), Some(1), "{id}");
    }
    for (id, of_it) in &events {
        assert_eq!(of_it.len(), 1, "{id} has {} events", of_it.len());
        assert_eq!(
            status.get(id),
            Some(&AppointmentStatus::Booked),
            "event of {id}"
        );
    }
}

#[tokio::test]
async fn two_servers_on_one_postgresql_give_a_slot_once() {
    let fleet = Fleet::new().await;
    if !fleet.db.url.starts_with("postgres") {
        // SQLite is one file for one process; the rule across processes is PostgreSQL's.
        return;
    }
    let (a, b) = (fleet.serve(), fleet.serve());

    let answers = futures::future::join_all((0..50).map(|i| {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        fleet.book(url, slot(3), format!("race-{i}"))
    }))
    .await;

    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.as_ref().unwrap().0).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        49
    );
    let events = fleet.events_by_appointment().await;
    assert_eq!(events.values().map(Vec::len).sum::<usize>(), 1);
}
