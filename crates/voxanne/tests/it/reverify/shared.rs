//! Two `voxanne serve` processes on one database share the re-checks: each credential is
//! checked once per interval, not once per process.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

use super::{metric, metrics_of};
use crate::support::app::random_number;
use crate::support::database::TestDb;
use crate::support::serve_process::{listening_url, terminate};
use crate::support::store::twilio_credential_of;
use crate::support::twilio_sandbox::TwilioSandbox;

const INTERVAL_SECS: u64 = 2;

fn serve(db_url: &str, key: &str, twilio: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voxanne"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db_url])
        .args(["--twilio-base-url", twilio])
        .args(["--reverify-interval-secs", &INTERVAL_SECS.to_string()])
        .env_remove("VOXANNE_DATABASE_URL")
        .env_remove("VOXANNE_MASTER_KEY_FILE")
        .env("VOXANNE_MASTER_KEY", key)
        .env("VOXANNE_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// Re-checks a server ran, whatever they found.
fn rechecks(metrics: &str) -> u64 {
    ["verified", "failed", "needs_reconnect", "could_not_check"]
        .iter()
        .map(|outcome| {
            metric(
                metrics,
                &format!("voxanne_credential_rechecks_total{{outcome=\"{outcome}\"}}"),
            )
        })
        .sum()
}

#[tokio::test]
async fn two_servers_on_one_database_check_each_credential_once_per_interval() {
    let db = TestDb::new().await;
    let sandbox = TwilioSandbox::start().await;
    let key = MasterKey::generate();
    let store = Store::open(&db.url, Keyring::new(vec![key.clone()]).unwrap())
        .await
        .unwrap();
    let org = store.create_organization("Clinic").await.unwrap();
    const CREDENTIALS: u64 = 2;
    let mut ids = Vec::new();
    for n in 0..CREDENTIALS {
        let number = random_number();
        let account = sandbox
            .account_with_number(serde_json::json!({"type": "Full"}), &number)
            .await;
        let new = twilio_credential_of(
            &format!("Account {n}"),
            &account.account_sid,
            &number,
            SecretString::from(account.auth_token.clone()),
        );
        ids.push(store.insert_credential(&org.id, new).await.unwrap().id);
    }
    let key = key.to_base64();

    let started = Instant::now();
    let mut first = serve(&db.url, key.expose_secret(), sandbox.url())
        .spawn()
        .unwrap();
    let mut second = serve(&db.url, key.expose_secret(), sandbox.url())
        .spawn()
        .unwrap();
    let urls = [
        listening_url(&mut first).await,
        listening_url(&mut second).await,
    ];
    tokio::time::sleep(Duration::from_secs(5 * INTERVAL_SECS)).await;
    let mut runs = 0;
    for url in &urls {
        runs += rechecks(&metrics_of(url).await);
    }
    let elapsed = started.elapsed();
    terminate(first).await;
    terminate(second).await;

    // Each credential is first due an interval (-10 %) after it was scheduled, then every
    // interval (-10 %): at most this many runs fit in the time both servers ran. Without the
    // shared claim each server would run them all, about twice as many.
    let shortest = INTERVAL_SECS as f64 * 0.9;
    let per_credential = (elapsed.as_secs_f64() / shortest).floor() as u64;
    assert!(
        runs <= CREDENTIALS * per_credential,
        "{runs} re-checks of {CREDENTIALS} credentials in {elapsed:?}"
    );
    assert!(
        runs >= CREDENTIALS * 3,
        "{runs} re-checks of {CREDENTIALS} credentials in {elapsed:?}"
    );
    for id in &ids {
        let credential = store.get_credential(&org.id, id).await.unwrap();
        assert_eq!(
            credential.recheck.last_outcome,
            Some(voxanne::store::RecheckOutcome::Verified)
        );
    }
}
