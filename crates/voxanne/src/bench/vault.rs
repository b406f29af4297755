//! Vault and API-key benchmark: what each authenticated request and each send pays for security.
//!
//! Measured on a real SQLite file (the default backend): opening a stored Twilio credential
//! (read the wrapped data key and the sealed field, unwrap, decrypt), the crypto alone, and
//! authenticating an API key (checksum check, SHA-256, one indexed read).

use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::api_key::ApiKey;
use crate::ids::OrgId;
use crate::store::{
    CredentialDisplay, CredentialType, NewCredential, SecretField, SecretValue, Store,
    TwilioAuthMode,
};
use crate::vault::{DataKey, Keyring, MasterKey, SecretContext};

/// Mean cost per call of each measured operation, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct VaultFigures {
    pub iterations: u32,
    pub credential_open_us: f64,
    pub unwrap_and_decrypt_us: f64,
    pub api_key_auth_us: f64,
    pub api_key_reject_malformed_us: f64,
}

fn mean_us(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1e6 / f64::from(n.max(1))
}

pub async fn run(iterations: u32) -> anyhow::Result<VaultFigures> {
    let dir = tempfile_dir()?;
    let url = format!("sqlite://{}/bench.db", dir.display());
    let keyring = Keyring::new(vec![MasterKey::generate()])?;
    let store = Store::open(&url, keyring.clone())
        .await
        .context("opening the bench store")?;
    let org = store.create_organization("Bench Clinic").await?;
    let token = SecretString::from(random_hex(32));
    let credential = store
        .insert_credential(
            &org.id,
            NewCredential {
                kind: CredentialType::Twilio,
                label: "bench".into(),
                display: CredentialDisplay {
                    account_sid: Some(format!("AC{}", random_hex(32))),
                    auth_mode: Some(TwilioAuthMode::AuthToken),
                    from_number: Some("+14155550100".into()),
                    ..CredentialDisplay::default()
                },
                secrets: vec![SecretValue::new(SecretField::AuthToken, token)],
            },
        )
        .await?;
    let (_record, key) = store.create_api_key(&org.id).await?;
    let presented = key.secret().expose_secret().to_owned(); // the benchmark plays the client

    let started = Instant::now();
    for _ in 0..iterations {
        store
            .open_credential_secrets(&org.id, &credential.id)
            .await?;
    }
    let credential_open_us = mean_us(started.elapsed(), iterations);

    let unwrap_and_decrypt_us = crypto_only(&keyring, &org.id, iterations)?;

    let started = Instant::now();
    for _ in 0..iterations {
        let parsed = ApiKey::parse(&presented)?;
        store.authenticate_api_key(&parsed).await?;
    }
    let api_key_auth_us = mean_us(started.elapsed(), iterations);

    let mut mistyped = presented.clone();
    mistyped.pop();
    mistyped.push(if presented.ends_with('a') { 'b' } else { 'a' });
    let started = Instant::now();
    for _ in 0..iterations {
        let _ = std::hint::black_box(ApiKey::parse(&mistyped)).is_err();
    }
    let api_key_reject_malformed_us = mean_us(started.elapsed(), iterations);

    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(VaultFigures {
        iterations,
        credential_open_us,
        unwrap_and_decrypt_us,
        api_key_auth_us,
        api_key_reject_malformed_us,
    })
}

/// Unwrap the org's data key with the master key, then open one sealed field: no database.
fn crypto_only(keyring: &Keyring, org: &OrgId, iterations: u32) -> anyhow::Result<f64> {
    let data_key = DataKey::generate();
    let (_id, wrapped) = data_key.wrap(keyring, org)?;
    let context = || SecretContext {
        org,
        record: "cred_bench",
        field: "auth_token",
    };
    let sealed = data_key.seal(context(), &SecretString::from(random_hex(32)))?;
    let started = Instant::now();
    for _ in 0..iterations {
        let key = DataKey::unwrap(keyring, org, &wrapped)?;
        std::hint::black_box(key.open(context(), &sealed)?);
    }
    Ok(mean_us(started.elapsed(), iterations))
}

fn random_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("voxanne-bench-{}", random_hex(12)));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
