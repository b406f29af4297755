//! Who is asking, and for which organization: the [`Caller`] every use case takes first.
//!
//! A `Caller` cannot be built from a path or a body: its fields are private, and it is made only
//! from proof of identity ([`Caller::authenticate`] for an API key, [`Caller::admin`] for a
//! dashboard session the store resolved, [`Caller::operator`] for the CLI, whose user already holds
//! the database and the master key). Use cases read the organization from it and pass it first
//! to every store query, so another organization's objects look exactly like missing ones.

use std::net::IpAddr;

use crate::api_key::ApiKey;
use crate::ids::{ApiKeyId, OrgId, UserId};
use crate::store::{Store, StoreError};

/// The organization a request acts for, and who acts.
#[derive(Debug, Clone)]
pub struct Caller {
    org: OrgId,
    actor: Actor,
    /// The address the request came from, when a front door knows it (for the audit log).
    source_ip: Option<IpAddr>,
}

/// Who made a change, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The receptionist backend (or any program) with one of the organization's API keys.
    ApiKey(ApiKeyId),
    /// A clinic admin signed in to the dashboard.
    Admin { user: UserId, email: String },
    /// The operator at the command line.
    Cli,
}

/// Why an API key does not identify a caller.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the API key is unknown or has been revoked")]
    UnknownKey,
    #[error("could not check the API key")]
    Store(#[source] StoreError),
}

impl Caller {
    /// The organization `key` belongs to, if the key is known and not revoked.
    pub async fn authenticate(store: &Store, key: &ApiKey) -> Result<Self, AccessError> {
        match store.authenticate_api_key(key).await {
            Ok(principal) => Ok(Self {
                org: principal.org_id,
                actor: Actor::ApiKey(principal.key_id),
                source_ip: None,
            }),
            Err(StoreError::InvalidApiKey) => Err(AccessError::UnknownKey),
            Err(err) => Err(AccessError::Store(err)),
        }
    }

    /// A clinic admin whose dashboard session the store has just resolved.
    pub fn admin(org: OrgId, user: UserId, email: String) -> Self {
        Self {
            org,
            actor: Actor::Admin { user, email },
            source_ip: None,
        }
    }

    /// The operator running an admin command against `org` (the CLI has the database itself).
    pub fn operator(org: OrgId) -> Self {
        Self {
            org,
            actor: Actor::Cli,
            source_ip: None,
        }
    }

    /// The same caller, noted as coming from `ip` (what the audit log shows as the source).
    pub fn with_source_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.source_ip = ip;
        self
    }

    pub fn source_ip(&self) -> Option<IpAddr> {
        self.source_ip
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The API key this caller authenticated with, when it did (rate limits are per key).
    pub fn api_key(&self) -> Option<&ApiKeyId> {
        match &self.actor {
            Actor::ApiKey(key) => Some(key),
            _ => None,
        }
    }
}
