//! The Twilio account of a credential: each clinic's own Twilio client, built from its own
//! credential, cached, and the one rule for whether a credential may send.
//!
//! Verification, the send use cases and the dispatcher all go through here, so secrets are
//! opened in one place and "can this credential send?" is decided in one place ([`usable`]).
//!
//! There is no global Twilio account: a client exists only for a stored credential and is
//! built from that credential's decrypted secrets. Decrypting costs a vault open, so clients
//! are cached per credential and rebuilt when the credential's `updated_at` moves (new secrets,
//! new From number, a verification) or when [`Accounts::invalidate`] is called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::ids::{CredentialId, OrgId};
use crate::store::{
    Credential, CredentialType, SecretField, Store, StoreError, TwilioAuthMode, VerificationStatus,
};

/// A ready client for one credential, and what else sending through it needs.
pub struct Account {
    pub client: twilio::Client,
    pub sender: twilio::Sender,
    /// How the client authenticates (Auth Token, or API key).
    pub auth_mode: TwilioAuthMode,
    /// The Auth Token that signs this account's callbacks; `None` for an API key given alone
    /// (callbacks are then authenticated by the per-message token in their URL).
    pub callback_token_key: Option<SecretString>,
    pub credential_id: CredentialId,
    updated_at: DateTime<Utc>,
}

/// Why a credential cannot send right now, in words for the message's timeline.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("the Twilio credential {0} was deleted")]
    Deleted(CredentialId),
    #[error(
        "the Twilio credential {0} cannot be decrypted with the configured master keys: restore the missing key"
    )]
    Undecryptable(CredentialId),
    #[error("the Twilio credential {0} failed verification: fix it and verify it again")]
    Failed(CredentialId),
    #[error("the Twilio credential {0} is deactivated: reactivate it or choose another")]
    Inactive(CredentialId),
    #[error("the credential {0} is not a Twilio credential")]
    NotTwilio(CredentialId),
    #[error("the Twilio credential {id} is incomplete: {what}")]
    Incomplete {
        id: CredentialId,
        what: &'static str,
    },
    #[error("the queued message names a malformed organization or credential id")]
    Malformed,
    #[error("could not read the Twilio credential")]
    Store(#[source] StoreError),
    #[error("could not build a Twilio client")]
    Client(#[source] twilio::Error),
}

impl Unusable {
    /// Whether waiting could help (a store hiccup) rather than someone fixing the credential.
    pub fn is_transient(&self) -> bool {
        matches!(self, Unusable::Store(_))
    }

    /// Whether nothing can ever fix it (the messages through it should fail, not wait).
    pub fn is_final(&self) -> bool {
        matches!(self, Unusable::Deleted(_) | Unusable::Malformed)
    }
}

/// Whether `credential` may send now: a Twilio credential, active, and neither failed
/// verification nor undecryptable. The one place this rule lives.
pub fn usable(credential: &Credential) -> Result<(), Unusable> {
    let id = || credential.id.clone();
    if credential.kind != CredentialType::Twilio {
        return Err(Unusable::NotTwilio(id()));
    }
    if !credential.is_active {
        return Err(Unusable::Inactive(id()));
    }
    match credential.verification_status {
        VerificationStatus::Failed => Err(Unusable::Failed(id())),
        VerificationStatus::Undecryptable => Err(Unusable::Undecryptable(id())),
        _ => Ok(()),
    }
}

/// The cache of per-credential Twilio clients.
pub struct Accounts {
    store: Store,
    http: reqwest::Client,
    config: twilio::Config,
    cache: Mutex<HashMap<String, Arc<Account>>>,
    callback_keys: Mutex<HashMap<String, CallbackKey>>,
}

/// The Auth Token that signs a credential's callbacks, as of the credential's `updated_at`.
#[derive(Clone)]
struct CallbackKey {
    updated_at: DateTime<Utc>,
    auth_token: Option<SecretString>,
    checked_at: std::time::Instant,
}

/// How long a callback key is trusted without re-reading the credential: Twilio sends several
/// callbacks per message, and a rotated token takes effect within this time.
const CALLBACK_KEY_FRESH: std::time::Duration = std::time::Duration::from_secs(5);

impl Accounts {
    /// `config` carries the Twilio base URL (real Twilio, or the sandbox in tests and the demo);
    /// all clients share `http`'s connection pool.
    pub fn new(store: Store, config: twilio::Config, http: reqwest::Client) -> Self {
        Self {
            store,
            http,
            config,
            cache: Mutex::new(HashMap::new()),
            callback_keys: Mutex::new(HashMap::new()),
        }
    }

    /// The Twilio configuration clients are built with.
    pub fn config(&self) -> &twilio::Config {
        &self.config
    }

    /// The client for `credential` of `org`, ready to send.
    pub async fn get(
        &self,
        org: &OrgId,
        credential: &CredentialId,
    ) -> Result<Arc<Account>, Unusable> {
        let current = match self.store.get_credential(org, credential).await {
            Ok(current) => current,
            Err(StoreError::NotFound { .. }) => {
                self.invalidate(credential);
                return Err(Unusable::Deleted(credential.clone()));
            }
            Err(err) => return Err(Unusable::Store(err)),
        };
        self.usable_account(org, &current).await
    }

    /// The client for `current`, a credential of `org` just read from the store, if it may send
    /// (the one [`usable`] check); cached until the credential changes.
    pub async fn usable_account(
        &self,
        org: &OrgId,
        current: &Credential,
    ) -> Result<Arc<Account>, Unusable> {
        usable(current)?;
        if let Some(cached) = self.cached(&current.id)
            && cached.updated_at == current.updated_at
        {
            return Ok(cached);
        }
        let account = Arc::new(self.build(org, current).await?);
        self.lock()
            .insert(current.id.as_str().to_owned(), account.clone());
        Ok(account)
    }

    /// The client for `credential` whatever its status (verification must be able to check a
    /// failed or inactive credential): its secrets opened and its sender read, but not cached.
    pub async fn open(&self, org: &OrgId, credential: &Credential) -> Result<Account, Unusable> {
        if credential.kind != CredentialType::Twilio {
            return Err(Unusable::NotTwilio(credential.id.clone()));
        }
        self.build(org, credential).await
    }

    /// Forgets the cached client of `credential` (call after changing or deleting it).
    pub fn invalidate(&self, credential: &CredentialId) {
        self.lock().remove(credential.as_str());
        self.callback_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(credential.as_str());
    }

    /// The Auth Token Twilio signs `credential`'s status callbacks with, whatever the
    /// credential's status (messages already sent still report back). `Ok(None)`: the
    /// credential has no Auth Token (API key alone) or was deleted; callbacks then authenticate
    /// with the per-message token.
    pub async fn callback_key(
        &self,
        org: &OrgId,
        credential: &CredentialId,
    ) -> Result<Option<SecretString>, Unusable> {
        let cached = self.cached_callback_key(credential);
        if let Some(cached) = &cached
            && cached.checked_at.elapsed() < CALLBACK_KEY_FRESH
        {
            return Ok(cached.auth_token.clone());
        }
        let current = match self.store.get_credential(org, credential).await {
            Ok(current) => current,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(Unusable::Store(err)),
        };
        if let Some(cached) = cached
            && cached.updated_at == current.updated_at
        {
            let token = cached.auth_token.clone();
            let refreshed = CallbackKey {
                checked_at: std::time::Instant::now(),
                ..cached
            };
            self.callback_keys
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(credential.as_str().to_owned(), refreshed);
            return Ok(token);
        }
        let auth_token = match self.store.open_credential_secrets(org, credential).await {
            Ok(secrets) => secrets.get(SecretField::AuthToken).cloned(),
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(StoreError::Undecryptable { .. }) => {
                return Err(Unusable::Undecryptable(credential.clone()));
            }
            Err(err) => return Err(Unusable::Store(err)),
        };
        let key = CallbackKey {
            updated_at: current.updated_at,
            auth_token: auth_token.clone(),
            checked_at: std::time::Instant::now(),
        };
        self.callback_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(credential.as_str().to_owned(), key);
        Ok(auth_token)
    }

    fn cached_callback_key(&self, credential: &CredentialId) -> Option<CallbackKey> {
        self.callback_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(credential.as_str())
            .cloned()
    }

    fn cached(&self, credential: &CredentialId) -> Option<Arc<Account>> {
        self.lock().get(credential.as_str()).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Account>>> {
        // A panic while holding the lock cannot leave the map half-written; keep using it.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn build(&self, org: &OrgId, credential: &Credential) -> Result<Account, Unusable> {
        let id = credential.id.clone();
        let secrets = match self.store.open_credential_secrets(org, &id).await {
            Ok(secrets) => secrets,
            Err(StoreError::Undecryptable { .. }) => return Err(Unusable::Undecryptable(id)),
            Err(StoreError::NotFound { .. }) => return Err(Unusable::Deleted(id)),
            Err(err) => return Err(Unusable::Store(err)),
        };
        let display = &credential.display;
        let incomplete = |what| Unusable::Incomplete {
            id: id.clone(),
            what,
        };
        let account_sid = display
            .account_sid
            .as_deref()
            .ok_or_else(|| incomplete("no Account SID"))?;
        let account_sid = twilio::AccountSid::parse(account_sid)
            .map_err(|_| incomplete("the Account SID is malformed"))?;
        let auth_token = secrets.get(SecretField::AuthToken).cloned();
        let auth_mode = display.auth_mode.unwrap_or(TwilioAuthMode::AuthToken);
        let credentials = match auth_mode {
            TwilioAuthMode::ApiKey => {
                let key_sid = display
                    .api_key_sid
                    .as_deref()
                    .ok_or_else(|| incomplete("no API key SID"))?;
                let key_sid = twilio::ApiKeySid::parse(key_sid)
                    .map_err(|_| incomplete("the API key SID is malformed"))?;
                let key_secret = secrets
                    .get(SecretField::ApiKeySecret)
                    .cloned()
                    .ok_or_else(|| incomplete("no API key secret"))?;
                twilio::Credentials::ApiKey {
                    account_sid,
                    key_sid,
                    key_secret,
                }
            }
            TwilioAuthMode::AuthToken => {
                let auth_token = auth_token
                    .clone()
                    .ok_or_else(|| incomplete("no Auth Token"))?;
                twilio::Credentials::AuthToken {
                    account_sid,
                    auth_token,
                }
            }
        };
        let sender = match (&display.from_number, &display.messaging_service_sid) {
            (_, Some(mg)) => twilio::Sender::MessagingService(
                twilio::MessagingServiceSid::parse(mg)
                    .map_err(|_| incomplete("the Messaging Service SID is malformed"))?,
            ),
            (Some(from), None) => twilio::Sender::From(from.clone()),
            (None, None) => {
                return Err(incomplete(
                    "neither a From number nor a Messaging Service SID",
                ));
            }
        };
        let client =
            twilio::Client::with_http_client(credentials, self.config.clone(), self.http.clone());
        Ok(Account {
            client,
            sender,
            auth_mode,
            callback_token_key: auth_token,
            credential_id: id,
            updated_at: credential.updated_at,
        })
    }
}

/// The sender as stored on a message (From number or MG SID), for reconciliation and display.
pub fn sender_label(sender: &twilio::Sender) -> String {
    match sender {
        twilio::Sender::From(number) => number.clone(),
        twilio::Sender::MessagingService(sid) => sid.to_string(),
    }
}
