//! The `voxanne serve` binary itself: it binds, prints its URL, serves, refuses to start without
//! the right master key (before binding), and stops gracefully on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use secrecy::ExposeSecret;
use voxanne::vault::MasterKey;

use crate::support::database::TestDb;

fn serve(db_url: &str, master_key: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voxanne"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db_url,
            "--twilio-base-url",
            "http://127.0.0.1:9",
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
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let read = tokio::task::spawn_blocking(move || stdout.read_line(&mut line).map(|_| line));
    let line = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("voxanne listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );

    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
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
