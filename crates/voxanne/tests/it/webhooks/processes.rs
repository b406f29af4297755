//! Real `voxanne serve` processes on one database: one killed (SIGKILL) with events pending, the
//! next delivers every one of them (a repeat only with the same id), in order per message; two at
//! once share the queue (see [`super::two_servers`]).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

use super::message_of;
use crate::support::app::random_number;
use crate::support::database::TestDb;
use crate::support::store::twilio_credential_of;
use crate::support::twilio_sandbox::TwilioSandbox;
use crate::support::webhook_receiver::Receiver;

/// A `voxanne serve` child process, killed (SIGKILL) when dropped.
pub(super) struct Server {
    child: Child,
    pub(super) url: String,
}

impl Server {
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn serve(db: &TestDb, key: &SecretString, sandbox: &TwilioSandbox) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_voxanne"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &url,
        ])
        .args([
            "--allow-insecure-webhooks",
            "--webhook-retry-schedule-secs",
            "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
        ])
        .env("VOXANNE_DATABASE_URL", &db.url)
        // Exposed only to hand the child process its master key.
        .env("VOXANNE_MASTER_KEY", key.expose_secret())
        .env("VOXANNE_TWILIO_BASE_URL", sandbox.url())
        .env("VOXANNE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.contains("listening on"),
        "unexpected first line: {line:?}"
    );
    Server { child, url }
}

/// A clinic with a Twilio account in the sandbox and an API key, in a database of its own that
/// the `serve` processes open with `key`.
pub(super) struct Clinic {
    pub(super) db: TestDb,
    pub(super) key: SecretString,
    pub(super) sandbox: TwilioSandbox,
    pub(super) api_key: String,
}

impl Clinic {
    pub(super) async fn new(name: &str) -> Self {
        let db = TestDb::new().await;
        let master = MasterKey::generate();
        let key = master.to_base64();
        let store = Store::open(&db.url, Keyring::new(vec![master]).unwrap())
            .await
            .unwrap();
        let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig::default()).await;
        let from = random_number();
        let account = sandbox.account_with_number(json!({}), &from).await;
        let org = store.create_organization(name).await.unwrap().id;
        let token = SecretString::from(account.auth_token.clone());
        store
            .insert_credential(
                &org,
                twilio_credential_of("main", &account.account_sid, &from, token),
            )
            .await
            .unwrap();
        let (_, api_key) = store.create_api_key(&org).await.unwrap();
        let api_key = api_key.secret().expose_secret().to_owned();
        store.close().await;
        Self {
            db,
            key,
            sandbox,
            api_key,
        }
    }
}

/// Registers `url` for `message.sent` and `message.delivered` through `server`; returns the
/// endpoint's id.
pub(super) async fn register_on(server: &Server, api_key: &str, url: &str) -> String {
    let created = reqwest::Client::new()
        .post(format!("{}/api/organization/webhooks", server.url))
        .bearer_auth(api_key)
        .json(&json!({"url": url, "events": ["message.sent", "message.delivered"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Hot leads go to two staff phones from now on.
pub(super) async fn alert_two_recipients(server: &Server, api_key: &str) {
    let answer = reqwest::Client::new()
        .put(format!("{}/api/organization/settings", server.url))
        .bearer_auth(api_key)
        .json(&json!({"alert_recipients": [random_number(), random_number()], "timezone": "America/New_York"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// POSTs `body` to `path` of `server` as the clinic; returns the JSON answer.
pub(super) async fn post_on(
    server: &Server,
    path: &str,
    api_key: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .bearer_auth(api_key)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Sends a hot lead through `server`; returns the ids of its messages.
pub(super) async fn hot_lead_on(server: &Server, api_key: &str) -> Vec<String> {
    let lead = json!({"lead": {"name": "Ana", "phone": "+14155550123", "reason": "cleaning"}});
    let sent = post_on(server, "/api/messages/hot-lead", api_key, &lead).await;
    sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_server_killed_with_events_pending_loses_none_and_the_next_one_delivers_each_once_in_order()
 {
    let Clinic {
        db,
        key,
        sandbox,
        api_key,
    } = Clinic::new("Kill Clinic").await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let http = reqwest::Client::new();

    let first = serve(&db, &key, &sandbox);
    register_on(&first, &api_key, &receiver.url).await;
    alert_two_recipients(&first, &api_key).await;
    let messages = hot_lead_on(&first, &api_key).await;
    // Every event raised and still pending (the receiver refuses them) when the kill comes: the
    // messages are delivered, and only the first event of each was tried (order per message).
    let deadline = Instant::now() + Duration::from_secs(20);
    for message in &messages {
        loop {
            let status: serde_json::Value = http
                .get(format!("{}/api/messages/{message}", first.url))
                .bearer_auth(&api_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if status["status"] == "delivered" {
                break;
            }
            assert!(Instant::now() < deadline, "never delivered: {status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let tried: HashSet<String> = receiver.all().iter().map(|r| r.kind()).collect();
    assert_eq!(
        tried,
        HashSet::from(["message.sent".to_owned()]),
        "delivered waits for sent"
    );
    drop(first); // SIGKILL
    receiver.answer(200);

    let _second = serve(&db, &key, &sandbox);
    receiver
        .wait_until(
            Duration::from_secs(40),
            "every event after the restart",
            |got| {
                got.iter()
                    .filter(|r| r.kind() == "message.delivered")
                    .count()
                    == messages.len()
            },
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.accepted();
    assert!(got.len() >= messages.len() * 2);
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        messages.len() * 2,
        "every event, none lost: {ids:?}"
    );
    // Delivery is at least once, as the specification says: an answer the killed process (or a
    // timeout on a loaded machine) never recorded is sent again. A repeat is the same event, with
    // the same `webhook-id` and body, so the receiver drops it by id.
    for repeat in &got {
        let first = got.iter().find(|r| r.id == repeat.id).unwrap();
        assert_eq!(
            repeat.body, first.body,
            "a repeat of {} is the same event",
            repeat.id
        );
    }
    for message in &messages {
        let kinds: Vec<String> = got
            .iter()
            .filter(|r| message_of(&r.json()) == *message)
            .map(|r| r.kind())
            .collect();
        assert_eq!(kinds, ["message.sent", "message.delivered"], "{message}");
    }
}
