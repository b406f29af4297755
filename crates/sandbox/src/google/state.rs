//! The Google stand-in's memory: OAuth clients, users with their calendars, authorization codes,
//! grants and tokens, plus the knobs tests turn (token lifetimes, faults).
//!
//! Everything sits behind one mutex: the stand-in serves a handful of requests per test, and a
//! single lock keeps every grant/revoke transition atomic without reasoning about lock order.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;

/// Shared state of one stand-in instance; every `router()` call gets its own.
#[derive(Default)]
pub struct Google {
    inner: Mutex<Inner>,
}

impl Google {
    /// Locks the state. A panic in another handler cannot leave it half-updated in a way that
    /// matters to a test double, so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
pub struct Inner {
    pub clients: HashMap<String, Client>,
    pub users: Vec<User>,
    /// Authorization requests waiting for the person's decision on the consent page, by form id.
    pub pending: HashMap<String, PendingConsent>,
    pub codes: HashMap<String, Code>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub settings: Settings,
    pub faults: Vec<Fault>,
    pub revocations: Vec<Revocation>,
    /// (user sub, client id) pairs the user has consented to; Google skips issuing a new refresh
    /// token on re-authorization of such a pair unless `prompt=consent` is given.
    pub consented: BTreeSet<(String, String)>,
    next_event: u64,
}

pub struct Client {
    pub secret: String,
    pub redirect_uris: Vec<String>,
}

pub struct User {
    pub sub: String,
    pub email: String,
    pub calendars: Vec<Calendar>,
}

pub struct Calendar {
    pub id: String,
    pub summary: String,
    pub time_zone: String,
    pub access_role: String,
    pub primary: bool,
    pub events: Vec<serde_json::Value>,
}

/// A validated authorization request, kept server-side so the consent form only carries its id.
#[derive(Clone)]
pub struct PendingConsent {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub offline: bool,
    pub prompt_consent: bool,
    pub user_sub: Option<String>,
}

pub struct Code {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_sub: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub offline: bool,
    pub prompt_consent: bool,
    pub expires_at: Instant,
    pub redeemed: bool,
}

pub struct RefreshToken {
    pub client_id: String,
    pub user_sub: String,
    pub scopes: Vec<String>,
    pub expired: bool,
}

pub struct AccessToken {
    pub client_id: String,
    pub user_sub: String,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
}

#[derive(Clone, Serialize, serde::Deserialize)]
pub struct Settings {
    pub access_token_ttl_secs: u64,
    pub code_ttl_secs: u64,
    /// How long a "slow" fault holds a request before answering normally.
    pub slow_delay_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 3599,
            code_ttl_secs: 600,
            slow_delay_ms: 2000,
        }
    }
}

/// Where a fault strikes: an OAuth endpoint, every Calendar call (`calendar`), or one Calendar
/// method (named as in Google's discovery document, e.g. `events.insert`).
#[derive(Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub enum Endpoint {
    #[serde(rename = "token")]
    Token,
    #[serde(rename = "revoke")]
    Revoke,
    #[serde(rename = "calendar")]
    Calendar,
    #[serde(rename = "freebusy")]
    FreeBusy,
    #[serde(rename = "events.insert")]
    EventsInsert,
    #[serde(rename = "events.list")]
    EventsList,
    #[serde(rename = "events.get")]
    EventsGet,
    #[serde(rename = "events.patch")]
    EventsPatch,
    #[serde(rename = "events.delete")]
    EventsDelete,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub enum FaultKind {
    #[serde(rename = "500")]
    InternalError,
    #[serde(rename = "503")]
    Unavailable,
    /// 429 `rateLimitExceeded` ("Too many requests"), as the Calendar API's error guide shows it.
    #[serde(rename = "429")]
    TooManyRequests,
    /// 403 `rateLimitExceeded` ("Rate Limit Exceeded"): Google's other rate-limit answer.
    #[serde(rename = "rateLimitExceeded")]
    RateLimitExceeded,
    /// The connection is dropped without an answer: the caller cannot know whether it worked.
    #[serde(rename = "reset", alias = "lost")]
    Reset,
    #[serde(rename = "slow")]
    Slow,
}

impl FaultKind {
    /// Rate-limit answers come before Google does any work, so they never take effect, whatever
    /// `process` says.
    pub fn refuses_before_work(self) -> bool {
        matches!(self, Self::TooManyRequests | Self::RateLimitExceeded)
    }
}

pub struct Fault {
    pub endpoint: Endpoint,
    pub kind: FaultKind,
    pub remaining: u32,
    /// The call takes effect before its answer fails (a write whose answer is lost).
    pub process: bool,
}

#[derive(Clone, Serialize)]
pub struct Revocation {
    pub email: String,
    pub client_id: String,
    /// `refresh_token`, `access_token` (through `/revoke`) or `control` (the control API).
    pub via: &'static str,
    pub at: DateTime<Utc>,
}

/// What a caller must do because a fault was armed for its endpoint.
pub enum FaultAction {
    /// Fail with `kind`; when `process` is true, do the work first.
    Fail {
        kind: FaultKind,
        process: bool,
    },
    Delay(Duration),
}

impl Inner {
    pub fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub == sub)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    pub fn user_by_sub_mut(&mut self, sub: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.sub == sub)
    }

    /// Takes one armed fault for `endpoint`, if any.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultAction> {
        let index = self
            .faults
            .iter()
            .position(|f| f.endpoint == endpoint && f.remaining > 0)?;
        let fault = &mut self.faults[index];
        fault.remaining -= 1;
        let (kind, process) = (fault.kind, fault.process);
        if fault.remaining == 0 {
            self.faults.remove(index);
        }
        Some(match kind {
            FaultKind::Slow => {
                FaultAction::Delay(Duration::from_millis(self.settings.slow_delay_ms))
            }
            kind => FaultAction::Fail {
                kind,
                process: process && !kind.refuses_before_work(),
            },
        })
    }

    pub fn issue_access_token(
        &mut self,
        client_id: &str,
        user_sub: &str,
        scopes: &[String],
    ) -> String {
        let token = format!("ya29.{}", random_string(80));
        let ttl = Duration::from_secs(self.settings.access_token_ttl_secs);
        self.access_tokens.insert(
            token.clone(),
            AccessToken {
                client_id: client_id.to_owned(),
                user_sub: user_sub.to_owned(),
                scopes: scopes.to_vec(),
                expires_at: Instant::now() + ttl,
            },
        );
        token
    }

    pub fn issue_refresh_token(
        &mut self,
        client_id: &str,
        user_sub: &str,
        scopes: &[String],
    ) -> String {
        let token = format!("1//{}", random_string(100));
        self.refresh_tokens.insert(
            token.clone(),
            RefreshToken {
                client_id: client_id.to_owned(),
                user_sub: user_sub.to_owned(),
                scopes: scopes.to_vec(),
                expired: false,
            },
        );
        token
    }

    /// Revokes the whole grant of `user_sub` to `client_id`: every refresh and access token of the
    /// pair stops working and the next authorization counts as a first consent again.
    pub fn revoke_grant(&mut self, user_sub: &str, client_id: &str, via: &'static str) {
        self.refresh_tokens
            .retain(|_, t| !(t.user_sub == user_sub && t.client_id == client_id));
        self.access_tokens
            .retain(|_, t| !(t.user_sub == user_sub && t.client_id == client_id));
        self.consented
            .remove(&(user_sub.to_owned(), client_id.to_owned()));
        let email = self
            .user_by_sub(user_sub)
            .map(|u| u.email.clone())
            .unwrap_or_default();
        self.revocations.push(Revocation {
            email,
            client_id: client_id.to_owned(),
            via,
            at: Utc::now(),
        });
    }

    /// A fresh event id in Google's alphabet (base32hex: `0-9a-v`), unique in this stand-in.
    pub fn next_event_id(&mut self) -> String {
        self.next_event += 1;
        let mut rng = rand::rng();
        let tail: String = (0..12)
            .map(|_| char::from(BASE32HEX[rng.random_range(0..BASE32HEX.len())]))
            .collect();
        format!("{:08}{tail}", self.next_event)
    }
}

/// The characters Google allows in event ids.
pub const BASE32HEX: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

/// A random alphanumeric string; all ids and secrets of the stand-in are made with it at run time.
pub fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Digits only, as in Google's OAuth client ids and account subjects.
pub fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}
