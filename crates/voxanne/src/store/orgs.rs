//! Organizations: create (with their data key), list, get, delete, settings.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::backend::{in_transaction, now, on_pool};
use super::{OrgSettings, Organization, Store, StoreError};
use crate::ids::OrgId;
use crate::vault::DataKey;

/// Longest organization name accepted.
pub const MAX_NAME_LEN: usize = 200;

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: OrgId,
    name: String,
    settings: String,
    created_at: DateTime<Utc>,
}

impl OrgRow {
    fn into_model(self) -> Result<Organization, StoreError> {
        let settings =
            serde_json::from_str(&self.settings).map_err(|source| StoreError::Corrupt {
                what: "organization settings",
                source: Box::new(source),
            })?;
        Ok(Organization {
            id: self.id,
            name: self.name,
            settings,
            created_at: self.created_at,
        })
    }
}

fn validate_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(StoreError::invalid(
            "name",
            format!("the organization name must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "the organization name may not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// `SELECT` of every organization column, followed by `$tail` (a literal, so the SQL stays static).
macro_rules! select_org {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, settings, created_at FROM organizations",
            $tail
        )
    };
}

impl Store {
    /// Creates an organization and its data key (wrapped under the newest master key) together.
    #[instrument(skip_all)]
    pub async fn create_organization(&self, name: &str) -> Result<Organization, StoreError> {
        let org = Organization {
            id: OrgId::generate(),
            name: validate_name(name)?,
            settings: OrgSettings::default(),
            created_at: now(),
        };
        let settings_json =
            serde_json::to_string(&org.settings).map_err(|source| StoreError::Corrupt {
                what: "organization settings",
                source: Box::new(source),
            })?;
        let (master_key_id, wrapped) = DataKey::generate().wrap(&self.keyring, &org.id)?;
        in_transaction!(&self.db, tx => {
            sqlx::query("INSERT INTO organizations (id, name, settings, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&org.id)
                .bind(&org.name)
                .bind(&settings_json)
                .bind(org.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO org_data_keys (org_id, master_key_id, wrapped, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&org.id)
            .bind(master_key_id.to_string())
            .bind(&wrapped)
            .bind(org.created_at)
            .execute(&mut *tx)
            .await?;
        });
        tracing::info!(org_id = %org.id, "organization created");
        Ok(org)
    }

    /// Every organization, oldest first (an operator view: no tenant scope).
    #[instrument(skip_all)]
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let rows: Vec<OrgRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(select_org!(" ORDER BY created_at, id"))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(OrgRow::into_model).collect()
    }

    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_organization(&self, org: &OrgId) -> Result<Organization, StoreError> {
        let row: Option<OrgRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(select_org!(" WHERE id = $1"))
                .bind(org)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound {
            what: "organization",
        })?
        .into_model()
    }

    /// Deletes an organization and everything it owns, its wrapped data key first among them:
    /// from then on no copy of its secrets can be opened, even with the master key.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn delete_organization(&self, org: &OrgId) -> Result<(), StoreError> {
        let deleted = in_transaction!(&self.db, tx => {
            // Explicit rather than relying on the cascade alone: the key must go.
            sqlx::query("DELETE FROM org_data_keys WHERE org_id = $1").bind(org).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM organizations WHERE id = $1")
                .bind(org)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        // Its keys stop working in this process at once (in others within `RECENT_READS_TRUSTED`).
        self.api_keys
            .forget_where(|principal| principal.org_id == *org);
        if deleted == 0 {
            return Err(StoreError::NotFound {
                what: "organization",
            });
        }
        self.db.flush_deletions().await?;
        tracing::info!(org_id = %org, "organization deleted with its data key");
        Ok(())
    }

    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_settings(&self, org: &OrgId) -> Result<OrgSettings, StoreError> {
        Ok(self.get_organization(org).await?.settings)
    }

    /// Replaces the organization's settings after validating every field.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn update_settings(
        &self,
        org: &OrgId,
        settings: &OrgSettings,
    ) -> Result<OrgSettings, StoreError> {
        settings.validate()?;
        let json = serde_json::to_string(settings).map_err(|source| StoreError::Corrupt {
            what: "organization settings",
            source: Box::new(source),
        })?;
        let updated = on_pool!(&self.db, pool => {
            sqlx::query("UPDATE organizations SET settings = $2 WHERE id = $1")
                .bind(org)
                .bind(&json)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound {
                what: "organization",
            });
        }
        Ok(settings.clone())
    }
}
