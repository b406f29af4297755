//! The `voxanne serve` binary itself: it binds, prints its URL, serves, refuses to start without
//! the right master key (before binding), and stops gracefully on SIGTERM.

use std::process::{Command, Stdio};

use secrecy::ExposeSecret;
use voxanne::vault::MasterKey;

use crate::support::Fetch;
use crate::support::database::TestDb;
use crate::support::serve_process::{listening_url, terminate};
use crate::support::twilio_sandbox::TwilioSandbox;

fn serve(db_url: &str, master_key: Option<&str>) -> Command {
    serve_against(db_url, master_key, "http://127.0.0.1:9")
}

fn serve_against(db_url: &str, master_key: Option<&str>, twilio: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voxanne"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db_url,
            "--twilio-base-url",
            twilio,
        ])
        .env_remove("VOXANNE_MASTER_KEY")
        .env_remove("VOXANNE_MASTER_KEY_FILE")
        .env_remove("VOXANNE_DATABASE_URL")
        // No voxanne.toml is picked up from the test's working directory.
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = master_key {
        command.env("VOXANNE_MASTER_KEY", key);
    }
    command
}

#[tokio::test]
async fn serve_prints_its_url_serves_and_stops_on_sigterm() {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let mut child = serve(&db.url, Some(key.expose_secret())).spawn().unwrap();
    let url = listening_url(&mut child).await;
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );

    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn serve_without_a_master_key_refuses_to_start_naming_the_setting() {
    let db = TestDb::new().await;
    let output = tokio::task::spawn_blocking(move || serve(&db.url, None).output())
        .await
        .unwrap()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VOXANNE_MASTER_KEY"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
}

#[tokio::test]
async fn serve_with_the_wrong_master_key_refuses_to_start_before_binding() {
    let db = TestDb::new().await;
    let right = MasterKey::generate();
    let keyring = voxanne::vault::Keyring::new(vec![right]).unwrap();
    voxanne::store::Store::open(&db.url, keyring)
        .await
        .unwrap()
        .close()
        .await;
    let wrong = MasterKey::generate().to_base64();
    let url = db.url.clone();

    let output =
        tokio::task::spawn_blocking(move || serve(&url, Some(wrong.expose_secret())).output())
            .await
            .unwrap()
            .unwrap();

    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VOXANNE_MASTER_KEY"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
}

#[tokio::test]
async fn trace_level_json_logs_hold_no_secret_and_no_full_phone_number() {
    let db = TestDb::new().await;
    let sandbox = TwilioSandbox::start_with(sandbox::SandboxConfig::default()).await;
    let (from, to, alert) = (
        crate::support::app::random_number(),
        crate::support::app::random_number(),
        crate::support::app::random_number(),
    );
    let account = sandbox
        .account_with_number(serde_json::json!({}), &from)
        .await;
    let (sid, token) = (account.account_sid.as_str(), account.auth_token.as_str());
    let master = MasterKey::generate();
    let keyring = voxanne::vault::Keyring::new(vec![master.clone()]).unwrap();
    let store = voxanne::store::Store::open(&db.url, keyring).await.unwrap();
    let org = store.create_organization("Log Clinic").await.unwrap();
    let (_, api_key) = store.create_api_key(&org.id).await.unwrap();
    let api_key = api_key.secret().expose_secret().to_owned();
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("serve.log");
    let mut command = serve_against(
        &db.url,
        Some(master.to_base64().expose_secret()),
        sandbox.url(),
    );
    command
        .env("VOXANNE_LOG", "trace")
        .env("VOXANNE_LOG_FORMAT", "json")
        .stderr(std::fs::File::create(&log_path).unwrap());
    let mut child = command.spawn().unwrap();
    let url = listening_url(&mut child).await;

    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("{url}/api/organization/credentials/twilio"))
        .bearer_auth(&api_key)
        .json(&serde_json::json!({"account_sid": sid, "auth_token": token, "from_number": from}))
        .fetch_json()
        .await;
    let id = created["id"].as_str().unwrap();
    let verified = http
        .post(format!("{url}/api/organization/credentials/{id}/verify"))
        .bearer_auth(&api_key)
        .json(&serde_json::json!({"test_to": to}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), reqwest::StatusCode::OK);
    let settings = http
        .put(format!("{url}/api/organization/settings"))
        .bearer_auth(&api_key)
        .json(&serde_json::json!({"alert_recipients": [alert], "timezone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), reqwest::StatusCode::OK);
    terminate(child).await;

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("request finished"),
        "no request log lines:\n{logs}"
    );
    assert!(
        logs.lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
        "not JSON lines"
    );
    for (what, needle) in [
        ("auth token", token),
        ("API key", api_key.as_str()),
        ("From", &from[2..]),
        ("To", &to[2..]),
        ("alert recipient", &alert[2..]),
    ] {
        assert!(!logs.contains(needle), "the logs contain the {what}");
    }
    sandbox.shutdown().await;
}
