//! The tenant store: organizations, users, API keys and encrypted credentials.
//!
//! [`Store`] methods are whole use cases and take the organization id first, so no query can reach
//! a tenant's row without naming the tenant; another organization's id behaves exactly like a
//! missing one ([`StoreError::NotFound`]). One implementation runs on SQLite and PostgreSQL
//! (see [`backend`]), chosen once from the URL scheme.

mod api_keys;
mod appointments;
mod audit;
pub mod backend;
mod credentials;
mod id_columns;
mod keys;
mod message_stats;
mod model;
mod oauth_states;
mod orgs;
mod quota;
mod quota_ledger;
mod recent;
mod reverify;
mod secrets;
mod sessions;
mod settings;
mod text_enum;
mod users;
// Signed event webhooks (issue 14).
mod webhook_deliveries;
pub mod webhook_events;
mod webhooks;

use std::fmt;
use std::sync::Arc;

pub use appointments::{Appointment, AppointmentStatus, BookingKey, Held, Lease, NewAppointment};
pub use audit::{ActorKind, AuditAction, AuditRecord, NewAuditRecord};
pub use backend::Backend;
use backend::Db;
pub use keys::UndecryptableSweep;
pub use message_stats::{DAY_MS, DayStatusCount};
pub use model::{
    ApiKeyPrincipal, ApiKeyRecord, Credential, CredentialDisplay, CredentialPatch,
    CredentialSecrets, CredentialType, KeyUsage, NewCredential, Organization, Role, RotationReport,
    SecretField, SecretValue, TwilioAuthMode, User, VerificationStatus,
};
pub use model::{Recheck, RecheckOutcome};
pub use oauth_states::{RedeemedState, StateRefusal, state_hash};
pub use quota::{MINUTE_MS, QUOTA_DAY_MS, QuotaLimits, QuotaLimitsPatch, QuotaWindow};
pub(crate) use quota_ledger::QuotaTx;
pub use quota_ledger::{QuotaAsk, QuotaRefusal, Reservation};
pub use recent::TRUST as RECENT_READS_TRUSTED;
pub use reverify::{ClaimedRecheck, RecheckRun};
pub use sessions::{NewSession, SessionRecord};
pub use settings::{
    BUFFER_MINUTES, BookingSettings, MAX_ALERT_RECIPIENTS, OrgSettings, SLOT_MINUTES,
};
pub use users::UserRemoval;
pub use webhook_deliveries::{AttemptReport, ClaimedDelivery, NextStep, StoredEvent};
pub use webhook_events::{CredentialEvent, CredentialEventKind, MessageTransition};
pub use webhooks::{NewWebhookEndpoint, WebhookAttempt, WebhookEndpoint, WebhookEndpointPatch};

use crate::ids::CredentialId;
use crate::vault::{self, KeyId, Keyring};

/// A stored or presented value that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: expected one of {}", expected.join(", "))]
pub struct InvalidValue {
    pub what: &'static str,
    pub expected: &'static [&'static str],
}

/// Everything a store use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist *for this organization* (it may exist for another).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// A uniqueness rule refused the change (e.g. an email already in use).
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: &'static str,
    },
    /// Input failed validation; `field` names it for the API's error body.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The API key is unknown or revoked (one answer for both, on purpose).
    #[error("the API key is not valid (unknown or revoked)")]
    InvalidApiKey,
    /// Email or password did not match (one answer for both, on purpose).
    #[error("invalid email or password")]
    InvalidLogin,
    /// This credential's secrets cannot be opened with the configured keys; it is now marked
    /// `undecryptable` and must not be used.
    #[error("credential {id} cannot be decrypted with the configured master keys")]
    Undecryptable {
        id: CredentialId,
        #[source]
        source: vault::Error,
    },
    #[error("encryption failed")]
    Vault(#[from] vault::Error),
    #[error(
        "the configured master keys ({configured}) cannot open this store, whose key check is sealed under key {stored}: set VOXANNE_MASTER_KEY (or VOXANNE_MASTER_KEY_FILE) to the key this database was created with, newest key first"
    )]
    WrongMasterKey {
        stored: String,
        configured: String,
        #[source]
        source: Option<vault::Error>,
    },
    #[error(
        "{}: set VOXANNE_DATABASE_URL (or --database-url) to sqlite://PATH or postgres://USER@HOST/DB",
        if scheme.is_empty() { "the database URL has no scheme".to_owned() } else { format!("unsupported database URL scheme `{scheme}`") }
    )]
    UnsupportedDatabaseUrl { scheme: String },
    #[error("cannot connect to the database: check VOXANNE_DATABASE_URL (or --database-url)")]
    Connect {
        #[source]
        source: sqlx::Error,
    },
    #[error("running database migrations failed")]
    Migrate {
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The database cannot be reached right now (no connection within the pool's timeout, a
    /// broken socket, a closed pool): an outage to wait out, not a bug.
    #[error("the database is not reachable")]
    Unavailable {
        #[source]
        source: sqlx::Error,
    },
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("password hashing failed")]
    Password(#[source] crate::password::PasswordError),
    #[error("a background task failed")]
    Task(#[from] tokio::task::JoinError),
    #[error("stored {what} is corrupt")]
    Corrupt {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Every query error of the store goes through here, so the store alone decides which database
/// failures are an outage ([`StoreError::Unavailable`]) and which are anything else.
impl From<sqlx::Error> for StoreError {
    fn from(source: sqlx::Error) -> Self {
        if is_outage(&source) {
            Self::Unavailable { source }
        } else {
            Self::Database(source)
        }
    }
}

/// Whether a database error means the database cannot be reached now (rather than a bad query):
/// the store and the outbox both answer such errors as an outage.
pub(crate) fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => is_outage_answer(db.as_ref()),
        _ => false,
    }
}

/// A database's answer that it cannot serve now: PostgreSQL shutting down, restarting or cutting
/// the session (SQLSTATE class 57P, "operator intervention", and class 08, connection
/// exceptions); SQLite's file locked by another process past the busy timeout (`SQLITE_BUSY`,
/// `SQLITE_LOCKED` and their extended codes).
fn is_outage_answer(db: &dyn sqlx::error::DatabaseError) -> bool {
    let code = db.code().unwrap_or_default();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let primary = code.parse::<i32>().map(|extended| extended & 0xff);
        matches!(primary, Ok(5 | 6))
    } else {
        code.starts_with("57P") || code.starts_with("08")
    }
}

/// An `INSERT … SELECT … FROM organizations WHERE id = $org` inserts nothing for an unknown
/// organization: that is a "not found", not an empty success.
pub(crate) fn org_existed(inserted: u64) -> Result<(), StoreError> {
    if inserted == 0 {
        Err(StoreError::NotFound {
            what: "organization",
        })
    } else {
        Ok(())
    }
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database(err)
            if err.as_database_error().is_some_and(|db| db.is_unique_violation()))
    }
}

/// The store: a database pool plus the keyring that opens its secrets. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Db,
    keyring: Arc<Keyring>,
    /// API keys authenticated lately, by SHA-256, shared by every clone.
    api_keys: Arc<recent::Recent<ApiKeyPrincipal>>,
    /// Organizations' primary credentials read lately (by organization and type), shared by
    /// every clone; `None`: it has none.
    primaries: Arc<recent::Recent<Option<Credential>>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.db.backend())
            .field("master_keys", &self.keyring.ids().collect::<Vec<_>>())
            .finish()
    }
}

impl Store {
    /// What every server start and database command does: connect, run migrations, and prove the
    /// keyring opens this store (sealing the key check on first use). Fails before anything is
    /// served when the keys are wrong.
    pub async fn open(database_url: &str, keyring: Keyring) -> Result<Self, StoreError> {
        let store = Self::connect(database_url, keyring).await?;
        store.migrate().await?;
        store.verify_key_check().await?;
        Ok(store)
    }

    /// Connects without migrating or checking keys (for `voxanne migrate` and tests).
    pub async fn connect(database_url: &str, keyring: Keyring) -> Result<Self, StoreError> {
        let db = Db::connect(database_url).await?;
        Ok(Self {
            db,
            keyring: Arc::new(keyring),
            api_keys: Arc::default(),
            primaries: Arc::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate().await
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The same database with another keyring (e.g. after adding a new master key).
    pub fn with_keyring(&self, keyring: Keyring) -> Self {
        Self {
            db: self.db.clone(),
            keyring: Arc::new(keyring),
            api_keys: Arc::clone(&self.api_keys),
            primaries: Arc::clone(&self.primaries),
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Whether the database answers right now (the readiness check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }

    /// Forgets the primary credentials read lately (a credential just changed): this process
    /// sees the change at once.
    pub(crate) fn credentials_changed(&self) {
        self.primaries.forget_all();
    }

    /// The database, for the crate's other persistence module (the outbox), which keeps its own
    /// tables here and runs its SQL through the same [`backend`] layer.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}

fn key_list(keyring: &Keyring) -> String {
    keyring
        .ids()
        .map(|id: KeyId| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losing_the_database_is_an_outage_and_anything_else_a_database_error() {
        for outage in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        ] {
            let err = StoreError::from(outage);
            assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
        }
        let other = StoreError::from(sqlx::Error::RowNotFound);
        assert!(matches!(other, StoreError::Database(_)), "{other:?}");
    }
}
