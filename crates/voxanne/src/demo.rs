//! `voxanne demo`: one process with everything a newcomer needs to see Voxanne work.
//!
//! It starts the embedded sandbox (Twilio and Google stand-ins), creates a demo clinic's Twilio
//! account there, starts the service on a fresh SQLite database in a new data directory, and sets
//! the clinic up through the same paths a real one uses: an organization, an API key, a dashboard
//! admin, alert recipients, and a Twilio credential added *and verified* through the HTTP API.
//! Nothing here is a shortcut the production service does not take.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use sandbox::{Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use crate::app as server;
use crate::config::Settings;
use crate::google_connection::demo as google_demo;
use crate::store::{OrgSettings, Role};
use crate::vault::MasterKey;

/// The clinic's Twilio number and the staff phone that receives hot-lead alerts.
pub const CLINIC_NUMBER: &str = "+14155550100";
pub const STAFF_PHONE: &str = "+14155550123";
/// The clinic's Google account in the stand-in, whose calendar the demo connects.
pub const CALENDAR_EMAIL: &str = "frontdesk@sunrise-clinic.example";

/// What the demo prints once everything is up.
#[derive(Debug)]
pub struct Running {
    pub service_url: String,
    pub sandbox_url: String,
    pub api_key: SecretString,
    pub admin_email: String,
    pub admin_password: SecretString,
    pub data_dir: PathBuf,
    pub credential_id: String,
    pub calendar_credential_id: String,
    /// The sample appointment booked into the demo calendar.
    pub appointment: SampleAppointment,
}

/// The appointment the demo books, and a free slot left for the printed booking `curl`.
#[derive(Debug, Clone)]
pub struct SampleAppointment {
    pub id: String,
    pub start: String,
    /// Another free slot, for the printed booking example.
    pub next_free: String,
    /// The availability window the printed example asks about (RFC 3339, UTC).
    pub from: String,
    pub to: String,
}

#[derive(Deserialize)]
pub(crate) struct SandboxAccount {
    pub(crate) account_sid: String,
    pub(crate) auth_token: String,
}

/// Starts the sandbox and the service, sets up the demo clinic and returns what to print, plus
/// the two handles to stop. The service keeps running until `shutdown` resolves.
pub async fn start(
    listen: SocketAddr,
    sandbox_listen: SocketAddr,
    data_dir: PathBuf,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(
    Running,
    Sandbox,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let sandbox = Sandbox::start(SandboxConfig {
        listen: sandbox_listen,
        ..SandboxConfig::default()
    })
    .await
    .with_context(|| format!("starting the sandbox on {sandbox_listen}"))?;
    let sandbox_url = sandbox.url().to_owned();
    let account = sandbox_account(&sandbox_url).await?;

    // A fresh master key, kept in a file of the demo's data directory (never printed).
    let key_file = data_dir.join("master.key");
    std::fs::write(
        &key_file,
        format!("{}\n", MasterKey::generate().to_base64().expose_secret()),
    )
    .with_context(|| format!("writing {}", key_file.display()))?;

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}: pick another --listen address"))?;
    let service_url = format!("http://{}", listener.local_addr()?);
    let mut settings = Settings {
        data_dir: data_dir.clone(),
        master_key_file: Some(key_file),
        ..Settings::default()
    };
    settings.server.twilio_base_url = sandbox_url.clone();
    settings.server.public_url = Some(service_url.clone());
    // The demo's webhook receiver runs on this machine: loopback endpoints are allowed.
    settings.server.allow_insecure_webhooks = true;
    // Voxanne's own Google OAuth client, registered with the stand-in like an operator would
    // register one in Google's console.
    let (client_id, client_secret) = google_demo::register_sandbox_client(
        &sandbox_url,
        &format!("{service_url}/oauth/google/callback"),
    )
    .await?;
    settings.server.google_client_id = Some(client_id);
    settings.server.google_client_secret = Some(client_secret);
    settings.server.google_base_url = Some(sandbox_url.clone());
    let state = server::app_state(&settings)
        .await
        .context("starting the service")?;
    let store = state.services.store.clone();
    let google = state.services.google.ready().cloned();
    let serving = tokio::spawn(server::serve(listener, state, shutdown));

    let org = store.create_organization("Sunrise Family Clinic").await?;
    let (_record, api_key) = store.create_api_key(&org.id).await?;
    let admin_email = "admin@sunrise-clinic.example".to_owned();
    let admin_password = SecretString::from(random_password());
    store
        .create_user(&org.id, &admin_email, admin_password.clone(), Role::Owner)
        .await?;
    let org_settings = OrgSettings {
        alert_recipients: vec![STAFF_PHONE.to_owned()],
        timezone: "America/Los_Angeles".to_owned(),
        ..OrgSettings::default()
    };
    store.update_settings(&org.id, &org_settings).await?;

    let credential_id =
        add_verified_credential(&service_url, &api_key.secret().clone(), &account).await?;

    // The clinic's Google account, connected through the real consent flow of the stand-in.
    google_demo::create_sandbox_user(&sandbox_url, CALENDAR_EMAIL).await?;
    let google = google.context("Google is configured for the demo, so it must be ready")?;
    let calendar = google_demo::connect_calendar(&google, &org.id, CALENDAR_EMAIL).await?;
    sample_activity(&service_url, &api_key.secret().clone()).await?;
    let appointment = sample_appointment(&service_url, &api_key.secret().clone()).await?;
    Ok((
        Running {
            service_url,
            sandbox_url,
            api_key: api_key.secret().clone(),
            admin_email,
            admin_password,
            data_dir,
            credential_id,
            calendar_credential_id: calendar.id.to_string(),
            appointment,
        },
        sandbox,
        serving,
    ))
}

/// Books a sample appointment the way the receptionist backend does: the clinic's free slots
/// of the coming week, then the first one booked (with an `Idempotency-Key`).
async fn sample_appointment(
    service_url: &str,
    api_key: &SecretString,
) -> anyhow::Result<SampleAppointment> {
    let http = reqwest::Client::new();
    let now = chrono::Utc::now();
    let from = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let to = (now + chrono::TimeDelta::days(7))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    // Reason: the demo's own API key, sent to the demo's own service.
    let free: serde_json::Value = http
        .get(format!("{service_url}/api/calendar/availability"))
        .query(&[("from", &from), ("to", &to)])
        .bearer_auth(api_key.expose_secret())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let slots = free["slots"]
        .as_array()
        .context("availability has no slots")?;
    let (Some(first), Some(second)) = (slots.first(), slots.get(1)) else {
        bail!("the demo calendar has fewer than two free slots this week: {free}");
    };
    let start = first["start"].as_str().context("a slot without start")?;
    let booked = http
        .post(format!("{service_url}/api/calendar/appointments"))
        .bearer_auth(api_key.expose_secret())
        .header("Idempotency-Key", "demo-appointment-1")
        .json(&json!({
            "start": start,
            "duration_minutes": 30,
            "lead": {"name": "Maria Lopez", "phone": "+14155550177", "reason": "Knee consult"},
        }))
        .send()
        .await?;
    let status = booked.status();
    let body: serde_json::Value = booked.json().await?;
    if status != reqwest::StatusCode::CREATED {
        bail!("booking the demo appointment answered {status}: {body}");
    }
    Ok(SampleAppointment {
        id: body["id"]
            .as_str()
            .context("an appointment without id")?
            .to_owned(),
        start: start.to_owned(),
        next_free: second["start"].as_str().unwrap_or(start).to_owned(),
        from,
        to,
    })
}

/// Creates the clinic's (sandbox) Twilio account and buys its SMS number.
pub(crate) async fn sandbox_account(sandbox_url: &str) -> anyhow::Result<SandboxAccount> {
    let http = reqwest::Client::new();
    let account: SandboxAccount = http
        .post(format!("{sandbox_url}/sandbox/accounts"))
        .json(&json!({"friendly_name": "Sunrise Family Clinic", "type": "Full"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    http.post(format!(
        "{sandbox_url}/sandbox/accounts/{}/numbers",
        account.account_sid
    ))
    .json(&json!({"phone_number": CLINIC_NUMBER, "sms": true}))
    .send()
    .await?
    .error_for_status()?;
    Ok(account)
}

/// Adds the clinic's Twilio credential through the public API with `verify: true`, as the
/// dashboard does, and insists that verification passed.
pub(crate) async fn add_verified_credential(
    service_url: &str,
    api_key: &SecretString,
    account: &SandboxAccount,
) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(format!("{service_url}/api/organization/credentials/twilio"))
        .bearer_auth(api_key.expose_secret())
        .timeout(Duration::from_secs(30))
        .json(&json!({
            "label": "Front desk",
            "account_sid": account.account_sid,
            "auth_token": account.auth_token,
            "from_number": CLINIC_NUMBER,
            "verify": true,
        }))
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    if !status.is_success() || body["verification_status"] != "verified" {
        bail!("adding the demo Twilio credential answered {status}: {body}");
    }
    body["id"]
        .as_str()
        .map(str::to_owned)
        .context("the credential response has no id")
}

/// Some traffic for the dashboard to show, sent the way the receptionist backend sends it: a hot
/// lead to the staff, an appointment reminder, and a text to a landline the carrier refuses (so a
/// failure reason shows too).
async fn sample_activity(service_url: &str, api_key: &SecretString) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let requests = [
        (
            "/api/messages/hot-lead",
            json!({"lead": {"name": "Maria Lopez", "phone": "+14155550142",
                            "reason": "New patient, wants a cleaning this week"}}),
        ),
        (
            "/api/messages",
            json!({"to": "+14155550143", "body": "Reminder: your appointment at Sunrise Family Clinic is tomorrow at 10:00."}),
        ),
        (
            "/api/messages",
            json!({"to": sandbox::scenarios::LANDLINE, "body": "Reminder: your appointment is on Friday at 15:30."}),
        ),
    ];
    for (path, body) in requests {
        let response = http
            .post(format!("{service_url}{path}"))
            .bearer_auth(api_key.expose_secret())
            .json(&body)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("the demo's sample {path} answered {}", response.status());
        }
    }
    Ok(())
}

fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
