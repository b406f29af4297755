//! Pending OAuth authorizations: the single-use `state` of a Google connect, bound to the
//! organization (and the credential being re-authorized), with its PKCE verifier sealed.
//!
//! Only SHA-256 of the state is stored, so someone reading the database cannot finish another
//! clinic's flow; the verifier is sealed under the organization's data key, bound to the state's
//! hash and the field name.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tracing::instrument;

use super::backend::{now, on_pool};
use super::{ActorKind, Store, StoreError};
use crate::ids::{CredentialId, OrgId};
use crate::vault::{DataKey, SecretContext};

const VERIFIER_FIELD: &str = "pkce_verifier";

/// A state that was handed out and is now being redeemed.
#[derive(Debug)]
pub struct RedeemedState {
    pub org_id: OrgId,
    /// The credential to re-authorize, when the flow was started for one.
    pub credential_id: Option<CredentialId>,
    pub verifier: SecretString,
    /// Who started the connect, as the audit log names them (absent for states made before
    /// this was recorded).
    pub started_by: Option<(ActorKind, String)>,
}

/// Why a presented state cannot be redeemed. Each case is a refusal, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// No such state was ever handed out (or it was swept long ago).
    Unknown,
    /// The state was redeemed before: a replayed or double-submitted callback.
    Reused,
    /// The state is older than its lifetime.
    Expired,
    /// The state belongs to another organization than the caller's.
    Foreign,
}

/// SHA-256 (hex) of a state, the only form in which it is stored.
pub fn state_hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

type StateRow = (
    String,
    Option<String>,
    Vec<u8>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<ActorKind>,
    Option<String>,
);

impl Store {
    /// Records a new state for `org`, valid for `ttl`, with its PKCE verifier sealed. Also sweeps
    /// states that expired more than a day ago.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn create_oauth_state(
        &self,
        org: &OrgId,
        state: &SecretString,
        credential: Option<&CredentialId>,
        verifier: &SecretString,
        ttl: TimeDelta,
        started_by: (ActorKind, &str),
    ) -> Result<DateTime<Utc>, StoreError> {
        // Reason: hashed before storage; the state itself is never written.
        let hash = state_hash(state.expose_secret());
        let at = now();
        let expires_at = at + ttl;
        let wrapped: Option<Vec<u8>> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(org)
                .fetch_optional(pool)
                .await?
        });
        let wrapped = wrapped.ok_or(StoreError::NotFound {
            what: "organization",
        })?;
        let data_key = DataKey::unwrap(&self.keyring, org, &wrapped)?;
        let context = SecretContext {
            org,
            record: &hash,
            field: VERIFIER_FIELD,
        };
        let sealed = data_key.seal(context, verifier)?;
        on_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
                .bind(at - TimeDelta::days(1))
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO oauth_states (state_hash, org_id, credential_id, verifier, expires_at, created_at, \
                 started_by_kind, started_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&hash)
            .bind(org)
            .bind(credential)
            .bind(sealed)
            .bind(expires_at)
            .bind(at)
            .bind(started_by.0)
            .bind(started_by.1)
            .execute(pool)
            .await?;
        });
        Ok(expires_at)
    }

    /// Redeems a state exactly once. `caller` is the organization of the API key that presents
    /// it, when there is one: a state of another organization is refused and left unused.
    #[instrument(skip_all)]
    pub async fn redeem_oauth_state(
        &self,
        state: &str,
        caller: Option<&OrgId>,
    ) -> Result<Result<RedeemedState, StateRefusal>, StoreError> {
        let hash = state_hash(state);
        let row: Option<StateRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT org_id, credential_id, verifier, expires_at, used_at, started_by_kind, started_by \
                 FROM oauth_states WHERE state_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        let Some((org_id, credential_id, sealed, expires_at, used_at, started_by_kind, started_by)) =
            row
        else {
            return Ok(Err(StateRefusal::Unknown));
        };
        let corrupt = |what: &'static str, source: crate::ids::IdError| StoreError::Corrupt {
            what,
            source: Box::new(source),
        };
        let org_id = OrgId::parse(&org_id).map_err(|e| corrupt("OAuth state org id", e))?;
        if caller.is_some_and(|caller| *caller != org_id) {
            return Ok(Err(StateRefusal::Foreign));
        }
        if used_at.is_some() {
            return Ok(Err(StateRefusal::Reused));
        }
        let at = now();
        // The conditional update is the single-use guarantee: of two concurrent callbacks with
        // the same state, exactly one changes the row.
        let claimed = on_pool!(&self.db, pool => {
            sqlx::query("UPDATE oauth_states SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL")
                .bind(&hash)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if claimed == 0 {
            return Ok(Err(StateRefusal::Reused));
        }
        if expires_at <= at {
            return Ok(Err(StateRefusal::Expired));
        }
        let credential_id = credential_id
            .map(|id| CredentialId::parse(&id))
            .transpose()
            .map_err(|e| corrupt("OAuth state credential id", e))?;
        let wrapped: Vec<u8> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT wrapped FROM org_data_keys WHERE org_id = $1")
                .bind(&org_id)
                .fetch_one(pool)
                .await?
        });
        let data_key = DataKey::unwrap(&self.keyring, &org_id, &wrapped)?;
        let context = SecretContext {
            org: &org_id,
            record: &hash,
            field: VERIFIER_FIELD,
        };
        let verifier = data_key.open(context, &sealed)?;
        Ok(Ok(RedeemedState {
            org_id,
            credential_id,
            started_by: started_by_kind.zip(started_by),
            verifier,
        }))
    }
}
