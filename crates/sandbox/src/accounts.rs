//! Accounts, their API keys, numbers, verified numbers and messaging services.
//!
//! The directory is read on every request (to authenticate) and written only by the control API,
//! so it sits behind a read-write lock; each account's mutable parts have their own locks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::faults::FaultQueue;
use crate::ids;
use crate::messages::MessageLog;

/// `account_enum_status` of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccountStatus {
    Active,
    Suspended,
    Closed,
}

/// `account_enum_type` of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AccountType {
    Trial,
    Full,
}

/// A number the account owns (an IncomingPhoneNumber).
#[derive(Debug, Clone)]
pub(crate) struct OwnedNumber {
    pub sid: String,
    pub phone_number: String,
    pub sms: bool,
    pub date_created: DateTime<Utc>,
}

/// A Messaging Service: a named pool of the account's numbers.
#[derive(Debug, Clone)]
pub(crate) struct MessagingService {
    pub sid: String,
    pub friendly_name: String,
    pub numbers: Vec<String>,
    pub date_created: DateTime<Utc>,
}

/// The parts of an account the control API may change.
#[derive(Debug)]
pub(crate) struct Profile {
    pub friendly_name: String,
    pub status: AccountStatus,
    pub kind: AccountType,
    pub date_updated: DateTime<Utc>,
    pub numbers: Vec<OwnedNumber>,
    pub verified: HashSet<String>,
    pub services: Vec<MessagingService>,
}

impl Profile {
    pub fn number(&self, phone_number: &str) -> Option<&OwnedNumber> {
        self.numbers.iter().find(|n| n.phone_number == phone_number)
    }

    pub fn service(&self, sid: &str) -> Option<&MessagingService> {
        self.services.iter().find(|s| s.sid == sid)
    }
}

/// One Twilio account with its live and test credentials. Deliberately not `Debug`: it holds
/// tokens.
pub(crate) struct Account {
    pub sid: String,
    pub test_sid: String,
    auth_token: String,
    test_auth_token: String,
    pub date_created: DateTime<Utc>,
    pub profile: RwLock<Profile>,
    pub messages: Mutex<MessageLog>,
    pub faults: FaultQueue,
    message_seq: AtomicU64,
}

impl Account {
    /// A fresh message sequence number and the SID that carries it, taken without the log's
    /// lock so a create builds its message before locking.
    pub fn next_message_id(&self) -> (u64, String) {
        let seq = self.message_seq.fetch_add(1, Ordering::Relaxed) + 1;
        (seq, ids::sid_with_seq("SM", seq))
    }

    /// The live auth token: Fetch Account echoes it, and it keys callback signatures.
    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    pub fn test_auth_token(&self) -> &str {
        &self.test_auth_token
    }
}

/// An API key (SK) of an account.
pub(crate) struct ApiKey {
    pub account: Arc<Account>,
    secret: String,
}

impl ApiKey {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// What `POST /sandbox/accounts` asks for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    pub friendly_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<AccountType>,
    pub status: Option<AccountStatus>,
}

/// The credentials handed back to the caller of the control API (never logged).
#[derive(Serialize)]
pub(crate) struct Credentials {
    pub account_sid: String,
    pub auth_token: String,
    pub test_account_sid: String,
    pub test_auth_token: String,
}

#[derive(Default)]
struct Tables {
    by_sid: HashMap<String, Arc<Account>>,
    by_test_sid: HashMap<String, Arc<Account>>,
    keys: HashMap<String, Arc<ApiKey>>,
}

/// Every account of the sandbox, looked up by live SID, test SID or API key SID.
#[derive(Default)]
pub(crate) struct Directory {
    tables: RwLock<Tables>,
}

impl Directory {
    pub fn create(&self, new: NewAccount) -> Credentials {
        let now = Utc::now();
        let account = Arc::new(Account {
            sid: ids::sid("AC"),
            test_sid: ids::sid("AC"),
            auth_token: ids::token(),
            test_auth_token: ids::token(),
            date_created: now,
            profile: RwLock::new(Profile {
                friendly_name: new
                    .friendly_name
                    .unwrap_or_else(|| "sandbox@example.com".into()),
                status: new.status.unwrap_or(AccountStatus::Active),
                kind: new.kind.unwrap_or(AccountType::Full),
                date_updated: now,
                numbers: Vec::new(),
                verified: HashSet::new(),
                services: Vec::new(),
            }),
            messages: Mutex::new(MessageLog::default()),
            faults: FaultQueue::default(),
            message_seq: AtomicU64::new(0),
        });
        let credentials = Credentials {
            account_sid: account.sid.clone(),
            auth_token: account.auth_token.clone(),
            test_account_sid: account.test_sid.clone(),
            test_auth_token: account.test_auth_token.clone(),
        };
        let mut tables = self.tables.write();
        tables
            .by_test_sid
            .insert(account.test_sid.clone(), Arc::clone(&account));
        tables.by_sid.insert(account.sid.clone(), account);
        credentials
    }

    pub fn account(&self, sid: &str) -> Option<Arc<Account>> {
        self.tables.read().by_sid.get(sid).cloned()
    }

    pub fn test_account(&self, test_sid: &str) -> Option<Arc<Account>> {
        self.tables.read().by_test_sid.get(test_sid).cloned()
    }

    pub fn key(&self, sid: &str) -> Option<Arc<ApiKey>> {
        self.tables.read().keys.get(sid).cloned()
    }

    /// Issues a new API key for `account`; returns `(sid, secret)`.
    pub fn create_key(&self, account: &Arc<Account>) -> (String, String) {
        let sid = ids::sid("SK");
        let secret = ids::key_secret();
        let key = Arc::new(ApiKey {
            account: Arc::clone(account),
            secret: secret.clone(),
        });
        self.tables.write().keys.insert(sid.clone(), key);
        (sid, secret)
    }

    /// Every account, for the phone page's list of owned numbers.
    pub fn all(&self) -> Vec<Arc<Account>> {
        self.tables.read().by_sid.values().cloned().collect()
    }
}
