//! A store populated with sentinel secrets through every path that takes a secret.

use secrecy::{ExposeSecret, SecretString};
use voxanne::store::{CredentialPatch, Role, SecretField, SecretValue, Store, VerificationStatus};

use super::Sentinel;
use crate::store::{google_credential, twilio_credential};

/// Every secret planted, and the API keys created (their text is secret too).
pub struct Planted {
    pub secrets: Vec<Sentinel>,
    pub api_keys: Vec<Sentinel>,
    pub user_password: Sentinel,
}

impl Planted {
    pub fn all(&self) -> impl Iterator<Item = &Sentinel> {
        self.secrets
            .iter()
            .chain(&self.api_keys)
            .chain(std::iter::once(&self.user_password))
    }

    pub fn assert_absent(&self, haystack: &[u8], where_: &str) {
        for sentinel in self.all() {
            sentinel.assert_absent(haystack, where_);
        }
    }
}

/// Creates orgs, credentials (inserted, patched, refreshed, deleted), a user and API keys, then
/// opens every secret once and fails a login, so each code path that touches a secret has run.
pub async fn plant(store: &Store) -> Planted {
    let mut secrets = Vec::new();
    let mut fresh = || {
        let s = Sentinel::new();
        secrets.push(s.clone());
        s.secret()
    };
    let org = store.create_organization("Planted Clinic").await.unwrap();
    let mut twilio = twilio_credential("main", fresh());
    twilio
        .secrets
        .push(SecretValue::new(SecretField::ApiKeySecret, fresh()));
    let twilio = store.insert_credential(&org.id, twilio).await.unwrap();
    let google = store
        .insert_credential(&org.id, google_credential("calendar", fresh()))
        .await
        .unwrap();
    store
        .refresh_secret(
            &org.id,
            &google.id,
            SecretValue::new(SecretField::AccessToken, fresh()),
        )
        .await
        .unwrap();
    let patch = CredentialPatch {
        secrets: Some(vec![SecretValue::new(SecretField::AuthToken, fresh())]),
        ..Default::default()
    };
    store
        .patch_credential(&org.id, &twilio.id, patch)
        .await
        .unwrap();
    store
        .record_verification(
            &org.id,
            &twilio.id,
            VerificationStatus::Verified,
            &serde_json::json!({"checks": []}),
        )
        .await
        .unwrap();
    let doomed = store
        .insert_credential(&org.id, twilio_credential("old", fresh()))
        .await
        .unwrap();
    store.delete_credential(&org.id, &doomed.id).await.unwrap();
    let gone = store.create_organization("Deleted Clinic").await.unwrap();
    store
        .insert_credential(&gone.id, twilio_credential("gone", fresh()))
        .await
        .unwrap();
    store.delete_organization(&gone.id).await.unwrap();

    let mut api_keys = Vec::new();
    for _ in 0..2 {
        let (_, key) = store.create_api_key(&org.id).await.unwrap();
        store.authenticate_api_key(&key).await.unwrap();
        api_keys.push(Sentinel::from_text(key.secret().expose_secret()));
    }
    let user_password = Sentinel::new();
    let user_email = format!("owner-{}@clinic.example", &org.id.as_str()[4..12]);
    store
        .create_user(&org.id, &user_email, user_password.secret(), Role::Owner)
        .await
        .unwrap();
    store
        .verify_user_password(&user_email, user_password.secret())
        .await
        .unwrap();
    let _ = store
        .verify_user_password(&user_email, SecretString::from("wrong password here"))
        .await;

    for cred in [&twilio.id, &google.id] {
        store.open_credential_secrets(&org.id, cred).await.unwrap();
    }
    Planted {
        secrets,
        api_keys,
        user_password,
    }
}
