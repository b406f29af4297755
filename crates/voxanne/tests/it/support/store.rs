//! A migrated store on a fresh database, and the organizations and credentials tests put in it.

use secrecy::SecretString;
use voxanne::ids::{CredentialId, OrgId};
use voxanne::store::{
    Credential, CredentialDisplay, CredentialPatch, CredentialSecrets, CredentialType,
    NewCredential, Organization, Role, SecretField, SecretValue, Store, StoreError, TwilioAuthMode,
    User, VerificationStatus,
};
use voxanne::vault::{Keyring, MasterKey};

use super::{Sentinel, TestDb};

/// A migrated store on a fresh database, with the master key that opens it.
pub struct TestStore {
    pub store: Store,
    pub key: MasterKey,
    pub db: TestDb,
}

impl TestStore {
    pub async fn new() -> Self {
        let db = TestDb::new().await;
        let key = MasterKey::generate();
        let store = Store::open(&db.url, Keyring::new(vec![key.clone()]).unwrap())
            .await
            .unwrap();
        Self { store, key, db }
    }

    /// Applies `patch` to credential `id` of `org` (which must succeed).
    pub async fn patch(
        &self,
        org: &OrgId,
        id: &CredentialId,
        patch: CredentialPatch,
    ) -> Credential {
        self.store.patch_credential(org, id, patch).await.unwrap()
    }

    /// A store with one organization, "Clinic", in it.
    pub async fn with_clinic() -> (Self, Organization) {
        let t = Self::new().await;
        let org = t.org("Clinic").await;
        (t, org)
    }

    /// Another handle on the same database with `keys` as its keyring (no start-up check).
    pub async fn reopen_with(&self, keys: Vec<MasterKey>) -> Store {
        Store::connect(&self.db.url, Keyring::new(keys).unwrap())
            .await
            .unwrap()
    }

    /// A new organization called `name`.
    pub async fn org(&self, name: &str) -> Organization {
        self.store.create_organization(name).await.unwrap()
    }

    /// Stores a Twilio credential of `org` whose auth token is `token`.
    pub async fn twilio(&self, org: &OrgId, label: &str, token: SecretString) -> Credential {
        self.store
            .insert_credential(org, twilio_credential(label, token))
            .await
            .unwrap()
    }

    /// Stores a Twilio credential of `org` with a random auth token nobody reads back.
    pub async fn any_twilio(&self, org: &OrgId, label: &str) -> Credential {
        self.twilio(org, label, Sentinel::new().secret()).await
    }

    /// Stores a Google Calendar credential of `org` with a random refresh token.
    pub async fn any_google(&self, org: &OrgId, label: &str) -> Credential {
        self.store
            .insert_credential(org, google_credential(label, Sentinel::new().secret()))
            .await
            .unwrap()
    }

    /// Makes (or unmakes) `credential` the primary one of its type.
    pub async fn set_primary(
        &self,
        org: &OrgId,
        credential: &CredentialId,
        primary: bool,
    ) -> Result<Credential, StoreError> {
        let patch = CredentialPatch {
            is_primary: Some(primary),
            ..Default::default()
        };
        self.store.patch_credential(org, credential, patch).await
    }

    /// Records a passed verification of `credential`.
    pub async fn mark_verified(&self, org: &OrgId, credential: &CredentialId) -> Credential {
        let report = serde_json::json!({});
        self.store
            .record_verification(org, credential, VerificationStatus::Verified, &report)
            .await
            .unwrap()
    }

    /// A user of `org` with a random password.
    pub async fn user(&self, org: &OrgId, email: &str, role: Role) -> Result<User, StoreError> {
        let password = Sentinel::new().secret();
        self.store.create_user(org, email, password, role).await
    }

    /// The primary Twilio credential of `org`, if any.
    pub async fn primary_twilio(&self, org: &OrgId) -> Option<Credential> {
        self.store
            .get_primary_credential(org, CredentialType::Twilio)
            .await
            .unwrap()
    }

    /// Opens the secrets of `credential`, which must open.
    pub async fn open(&self, org: &OrgId, credential: &CredentialId) -> CredentialSecrets {
        self.store
            .open_credential_secrets(org, credential)
            .await
            .unwrap()
    }
}

/// A Twilio credential with a random SID-shaped account id and the given auth token.
pub fn twilio_credential(label: &str, auth_token: SecretString) -> NewCredential {
    twilio_credential_of(label, &random_sid("AC"), "+15550100001", auth_token)
}

/// An Auth Token credential holding exactly these values (a sandbox account's, or wrong ones).
pub fn twilio_credential_of(
    label: &str,
    account_sid: &str,
    from: &str,
    auth_token: SecretString,
) -> NewCredential {
    NewCredential {
        kind: CredentialType::Twilio,
        label: label.to_owned(),
        display: CredentialDisplay {
            account_sid: Some(account_sid.to_owned()),
            auth_mode: Some(TwilioAuthMode::AuthToken),
            from_number: Some(from.to_owned()),
            ..CredentialDisplay::default()
        },
        secrets: vec![SecretValue::new(SecretField::AuthToken, auth_token)],
    }
}

/// A Google Calendar credential holding a refresh token.
pub fn google_credential(label: &str, refresh_token: SecretString) -> NewCredential {
    NewCredential {
        kind: CredentialType::GoogleCalendar,
        label: label.to_owned(),
        display: CredentialDisplay {
            google_email: Some("frontdesk@clinic.example".to_owned()),
            calendar_id: Some("primary".to_owned()),
            ..CredentialDisplay::default()
        },
        secrets: vec![SecretValue::new(SecretField::RefreshToken, refresh_token)],
    }
}

/// `prefix` + 32 random lowercase hex digits, built at run time.
pub fn random_sid(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let digits: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    format!("{prefix}{digits}")
}

/// Asserts that `result` is a refusal naming `field`.
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str) {
    assert!(
        matches!(&result, Err(StoreError::Invalid { field: f, .. }) if *f == field),
        "{result:?}"
    );
}
