//! `voxanne sandbox` as a separate process, for runs that need its command-line flags
//! (`--step-delay-ms`), and `voxanne check twilio` run against any sandbox URL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::json;

use super::FROM;
use crate::support::twilio_sandbox::AccountCreds;

const TWILIO_VARS: [&str; 6] = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
    "TWILIO_PHONE_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
];

/// Runs `voxanne check twilio ARGS` against the sandbox at `url` with only the given Twilio
/// variables set.
pub async fn check_twilio(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voxanne"));
    for var in TWILIO_VARS {
        command.env_remove(var);
    }
    command
        .env("VOXANNE_TWILIO_BASE_URL", url)
        .envs(env.iter().copied())
        .args(["check", "twilio"])
        .args(args);
    // An in-process sandbox serves from this test's runtime: wait for the child off it.
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// A `voxanne sandbox` child process, killed when dropped.
pub struct SandboxProcess {
    child: Child,
    pub url: String,
}

impl SandboxProcess {
    /// Starts `voxanne sandbox --listen 127.0.0.1:0 EXTRA…` and waits for its URL.
    pub async fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_voxanne"))
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        let url = line
            .trim()
            .strip_prefix("sandbox listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }

    /// A Full account that owns [`FROM`], set up through the control API.
    pub async fn ready_account(&self) -> AccountCreds {
        let http = reqwest::Client::new();
        let account: AccountCreds = http
            .post(format!("{}/sandbox/accounts", self.url))
            .json(&json!({"type": "Full"}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        http.post(format!(
            "{}/sandbox/accounts/{}/numbers",
            self.url, account.account_sid
        ))
        .json(&json!({"phone_number": FROM, "sms": true}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
        account
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
