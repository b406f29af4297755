//! Master-key operations on the store: the start-up key check, key usage, and rotation.

use tracing::instrument;

use super::backend::{in_transaction, now, on_pool};
use super::{KeyUsage, RotationReport, Store, StoreError, key_list};
use crate::ids::{CredentialId, OrgId};
use crate::vault::{DataKey, KeyCheck};

/// Rows re-wrapped per batch: small enough that a batch never holds locks for long.
const ROTATION_BATCH: i64 = 100;

impl Store {
    /// Proves the configured keys open this store. On a new database, seals the key check under
    /// the newest key; on an existing one, a wrong or missing key is [`StoreError::WrongMasterKey`].
    #[instrument(skip_all)]
    pub async fn verify_key_check(&self) -> Result<(), StoreError> {
        let stored: Option<(String, Vec<u8>)> = on_pool!(&self.db, pool => {
            sqlx::query_as("SELECT master_key_id, blob FROM vault_key_check WHERE id = 1")
                .fetch_optional(pool)
                .await?
        });
        let wrong = |stored: String, source| StoreError::WrongMasterKey {
            stored,
            configured: key_list(&self.keyring),
            source,
        };
        if let Some((stored_id, blob)) = stored {
            return KeyCheck::verify(&self.keyring, &blob)
                .map(|_| ())
                .map_err(|source| wrong(stored_id, Some(source)));
        }
        // No key check yet. If data keys already exist, the keyring must open one of them before
        // a new check is sealed, or a wrong key would be accepted on a store created elsewhere.
        let existing: Option<(OrgId, String, Vec<u8>)> = on_pool!(&self.db, pool => {
            sqlx::query_as("SELECT org_id, master_key_id, wrapped FROM org_data_keys LIMIT 1")
                .fetch_optional(pool)
                .await?
        });
        if let Some((org, key_id, wrapped)) = existing {
            DataKey::unwrap(&self.keyring, &org, &wrapped)
                .map_err(|source| wrong(key_id, Some(source)))?;
        }
        let (key_id, blob) = KeyCheck::seal(&self.keyring)?;
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO vault_key_check (id, master_key_id, blob, updated_at) \
                 VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(key_id.to_string())
            .bind(blob)
            .bind(now())
            .execute(pool)
            .await?;
        });
        // Another process may have won the race: verify whatever is stored now.
        self.verify_key_check_existing().await
    }

    async fn verify_key_check_existing(&self) -> Result<(), StoreError> {
        let (stored_id, blob): (String, Vec<u8>) = on_pool!(&self.db, pool => {
            sqlx::query_as("SELECT master_key_id, blob FROM vault_key_check WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        KeyCheck::verify(&self.keyring, &blob)
            .map(|_| ())
            .map_err(|source| StoreError::WrongMasterKey {
                stored: stored_id,
                configured: key_list(&self.keyring),
                source: Some(source),
            })
    }

    /// How many data keys each master key wraps, for every key stored or configured.
    #[instrument(skip_all)]
    pub async fn key_usage(&self) -> Result<Vec<KeyUsage>, StoreError> {
        let counts: Vec<(String, i64)> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT master_key_id, COUNT(*) FROM org_data_keys GROUP BY master_key_id",
            )
            .fetch_all(pool)
            .await?
        });
        let check: Option<String> = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT master_key_id FROM vault_key_check WHERE id = 1")
                .fetch_optional(pool)
                .await?
        });
        let newest = self.keyring.newest().id().to_string();
        let mut ids: Vec<String> = self.keyring.ids().map(|id| id.to_string()).collect();
        for id in counts.iter().map(|(id, _)| id).chain(check.iter()) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        Ok(ids
            .into_iter()
            .map(|key_id| KeyUsage {
                data_keys: counts
                    .iter()
                    .find(|(id, _)| *id == key_id)
                    .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)),
                key_check: check.as_deref() == Some(key_id.as_str()),
                configured: self.keyring.ids().any(|id| id.to_string() == key_id),
                newest: key_id == newest,
                key_id,
            })
            .collect())
    }

    /// Number of rows (data keys and the key check) sealed under a key other than the newest.
    pub async fn old_key_references(&self) -> Result<u64, StoreError> {
        let newest = self.keyring.newest().id().to_string();
        let (keys, checks): (i64, i64) = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM org_data_keys WHERE master_key_id <> $1), \
                        (SELECT COUNT(*) FROM vault_key_check WHERE master_key_id <> $1)",
            )
            .bind(&newest)
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(keys + checks).unwrap_or(0))
    }

    /// Re-wraps every organization's data key under the newest master key.
    ///
    /// Safe while serving: rows are handled one by one, each update only applies if the row still
    /// holds the blob that was read (an optimistic check), and a reader sees either the old or the
    /// new wrapping, both of which open while both keys are configured. Resumable: a second run
    /// picks up only rows not yet on the newest key. `progress(done, total)` is called per row.
    #[instrument(skip_all)]
    pub async fn rotate_data_keys(
        &self,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RotationReport, StoreError> {
        let newest = self.keyring.newest().id().to_string();
        let total: i64 = on_pool!(&self.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM org_data_keys WHERE master_key_id <> $1")
                .bind(&newest)
                .fetch_one(pool)
                .await?
        });
        let total = u64::try_from(total).unwrap_or(0);
        let mut report = RotationReport {
            newest_key_id: newest.clone(),
            ..RotationReport::default()
        };
        let mut done = 0u64;
        let mut cursor = String::new();
        loop {
            let batch: Vec<(OrgId, String, Vec<u8>)> = on_pool!(&self.db, pool => {
                sqlx::query_as(
                    "SELECT org_id, master_key_id, wrapped FROM org_data_keys \
                     WHERE master_key_id <> $1 AND org_id > $2 ORDER BY org_id LIMIT $3",
                )
                .bind(&newest)
                .bind(&cursor)
                .bind(ROTATION_BATCH)
                .fetch_all(pool)
                .await?
            });
            if batch.is_empty() {
                break;
            }
            for (org, old_key_id, wrapped) in batch {
                cursor = org.to_string();
                match DataKey::unwrap(&self.keyring, &org, &wrapped) {
                    Err(_) => report.unreadable.push(org),
                    Ok(data_key) => {
                        let (new_key_id, new_wrapped) = data_key.wrap(&self.keyring, &org)?;
                        let updated = on_pool!(&self.db, pool => {
                            sqlx::query(
                                "UPDATE org_data_keys SET master_key_id = $1, wrapped = $2, rotated_at = $3 \
                                 WHERE org_id = $4 AND master_key_id = $5 AND wrapped = $6",
                            )
                            .bind(new_key_id.to_string())
                            .bind(new_wrapped)
                            .bind(now())
                            .bind(&org)
                            .bind(&old_key_id)
                            .bind(&wrapped)
                            .execute(pool)
                            .await?
                            .rows_affected()
                        });
                        if updated == 1 {
                            report.rewrapped += 1;
                        } else {
                            report.skipped += 1;
                        }
                    }
                }
                done += 1;
                progress(done, total.max(done));
            }
        }
        self.reseal_key_check().await?;
        report.remaining_old = self.old_key_references().await?;
        Ok(report)
    }

    /// Seals the key check under the newest key if it is under an older one.
    async fn reseal_key_check(&self) -> Result<(), StoreError> {
        self.verify_key_check().await?;
        let (key_id, blob) = KeyCheck::seal(&self.keyring)?;
        on_pool!(&self.db, pool => {
            sqlx::query(
                "UPDATE vault_key_check SET master_key_id = $1, blob = $2, updated_at = $3 \
                 WHERE id = 1 AND master_key_id <> $1",
            )
            .bind(key_id.to_string())
            .bind(blob)
            .bind(now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// What [`Store::sweep_undecryptable`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UndecryptableSweep {
    /// Credentials newly marked `undecryptable`: no configured master key opens their org's key.
    pub marked: u64,
    /// `undecryptable` credentials whose secrets open again (now `unverified`, to be verified).
    pub restored: u64,
}

impl Store {
    /// Makes `undecryptable` true from the start. The keyring changes only when a process
    /// starts, so that is when a master key can go missing or come back: each org's data key is
    /// unwrapped once; the credentials of an org whose key no configured master key opens are
    /// marked `undecryptable` (listed as such, never used), and `undecryptable` credentials of an
    /// org whose key opens again are opened in full, which restores those whose fields decrypt.
    /// A single damaged blob is still found when it is opened.
    #[instrument(skip_all)]
    pub async fn sweep_undecryptable(&self) -> Result<UndecryptableSweep, StoreError> {
        let keys: Vec<(OrgId, Vec<u8>)> = on_pool!(&self.db, pool => {
            sqlx::query_as("SELECT org_id, wrapped FROM org_data_keys")
                .fetch_all(pool)
                .await?
        });
        let mut sweep = UndecryptableSweep::default();
        let mut unopenable = std::collections::HashSet::new();
        for (org, wrapped) in keys {
            if DataKey::unwrap(&self.keyring, &org, &wrapped).is_ok() {
                continue;
            }
            let marked = in_transaction!(&self.db, tx => {
                let ids: Vec<CredentialId> = sqlx::query_scalar(
                    "UPDATE credentials SET verification_status = $2, updated_at = $3 \
                     WHERE org_id = $1 AND verification_status <> $2 RETURNING id",
                )
                .bind(&org)
                .bind(super::VerificationStatus::Undecryptable)
                .bind(now())
                .fetch_all(&mut *tx)
                .await?;
                // Webhooks (issue 14): each credential that moved raises its event.
                let now_ms = chrono::Utc::now().timestamp_millis();
                for id in &ids {
                    let event = super::CredentialEvent {
                        org: &org,
                        credential_id: id,
                        kind: super::CredentialEventKind::Undecryptable,
                        status: super::VerificationStatus::Undecryptable,
                        error_code: None,
                        reason: Some("no configured master key opens this organization's secrets".to_owned()),
                    };
                    super::webhook_events::EventTx::record_credential_event(&mut *tx, &event, now_ms).await?;
                }
                ids.len() as u64
            });
            self.credentials_changed();
            if marked > 0 {
                tracing::warn!(org_id = %org, marked, "no configured master key opens this organization's data key; its credentials are undecryptable");
            }
            sweep.marked += marked;
            unopenable.insert(org);
        }
        // One query for all orgs: normally it finds nothing.
        let stuck: Vec<(OrgId, CredentialId)> = on_pool!(&self.db, pool => {
            sqlx::query_as("SELECT org_id, id FROM credentials WHERE verification_status = $1")
                .bind(super::VerificationStatus::Undecryptable)
                .fetch_all(pool)
                .await?
        });
        for (org, id) in stuck {
            if unopenable.contains(&org) {
                continue;
            }
            match self.open_credential_secrets(&org, &id).await {
                Ok(_) => sweep.restored += 1,
                Err(StoreError::Undecryptable { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(sweep)
    }
}
