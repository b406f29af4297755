//! The `voxanne serve` binary configured for Google the way an operator does it: the OAuth
//! client from `VOXANNE_GOOGLE_CLIENT_ID` / `VOXANNE_GOOGLE_CLIENT_SECRET`, the stand-in from
//! `--google-base-url`, the callback from `--public-url`.

use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use url::Url;
use voxanne::store::Store;
use voxanne::vault::{Keyring, MasterKey};

use super::param;
use crate::support::database::TestDb;
use crate::support::serve_process::listening_url;

/// Kills the server when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_takes_the_google_client_from_the_environment_and_the_stand_in_from_its_flag() {
    let db = TestDb::new().await;
    let master = MasterKey::generate();
    let store = Store::open(&db.url, Keyring::new(vec![master.clone()]).unwrap())
        .await
        .unwrap();
    let org = store.create_organization("Sunrise Dental").await.unwrap();
    let (_, api_key) = store.create_api_key(&org.id).await.unwrap();
    store.close().await;
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let public = "http://127.0.0.1:9";
    let redirect = format!("{public}/oauth/google/callback");
    let (client_id, secret) =
        voxanne::google_connection::demo::register_sandbox_client(sandbox.url(), &redirect)
            .await
            .unwrap();
    voxanne::google_connection::demo::create_sandbox_user(sandbox.url(), "desk@clinic.example")
        .await
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_voxanne"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ])
        .args([
            "--twilio-base-url",
            "http://127.0.0.1:9",
            "--public-url",
            public,
        ])
        .args(["--google-base-url", sandbox.url()])
        .env("VOXANNE_MASTER_KEY", master.to_base64().expose_secret())
        .env("VOXANNE_GOOGLE_CLIENT_ID", &client_id)
        .env("VOXANNE_GOOGLE_CLIENT_SECRET", secret.expose_secret())
        .env_remove("VOXANNE_MASTER_KEY_FILE")
        .env_remove("VOXANNE_DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let url = listening_url(&mut running.0).await;

    let answer = reqwest::Client::new()
        .post(format!(
            "{url}/api/organization/credentials/google_calendar/connect"
        ))
        .bearer_auth(api_key.secret().expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: serde_json::Value = answer.json().await.unwrap();
    let authorization = Url::parse(body["authorization_url"].as_str().unwrap()).unwrap();
    let consent_page = reqwest::get(authorization.clone()).await.unwrap();

    assert!(
        authorization
            .as_str()
            .starts_with(&format!("{}/o/oauth2/v2/auth?", sandbox.url()))
    );
    assert_eq!(param(&authorization, "client_id"), Some(client_id));
    assert_eq!(param(&authorization, "redirect_uri"), Some(redirect));
    assert_eq!(
        consent_page.status(),
        StatusCode::OK,
        "the stand-in accepts the request"
    );
}
