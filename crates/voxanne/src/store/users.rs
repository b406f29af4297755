//! Dashboard users: create with an argon2id password hash, verify a login, remove.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tracing::instrument;

use super::backend::{in_transaction, now, on_pool};
use super::{Role, Store, StoreError, User};
use crate::ids::{OrgId, UserId};
use crate::password;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    org_id: OrgId,
    email: String,
    role: Role,
    created_at: DateTime<Utc>,
    password_hash: String,
}

impl UserRow {
    fn into_model(self) -> User {
        User {
            id: self.id,
            org_id: self.org_id,
            email: self.email,
            role: self.role,
            created_at: self.created_at,
        }
    }
}

/// Trims and lower-cases an email, and checks its rough shape (one `@`, no spaces, ≤ 254 chars).
fn normalize_email(email: &str) -> Result<String, StoreError> {
    let email = email.trim().to_lowercase();
    let shape_ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
        });
    if shape_ok {
        Ok(email)
    } else {
        Err(StoreError::invalid(
            "email",
            "expected an address like name@clinic.example",
        ))
    }
}

impl Store {
    /// Creates a dashboard user of `org`. Emails are unique across all organizations (a login
    /// names only an email).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn create_user(
        &self,
        org: &OrgId,
        email: &str,
        password: SecretString,
        role: Role,
    ) -> Result<User, StoreError> {
        let email = normalize_email(email)?;
        self.get_organization(org).await?;
        let hash = tokio::task::spawn_blocking(move || password::hash(&password))
            .await?
            .map_err(|err| match err {
                password::PasswordError::TooShort => {
                    StoreError::invalid("password", err.to_string())
                }
                password::PasswordError::Hash => StoreError::Password(err),
            })?;
        let user = User {
            id: UserId::generate(),
            org_id: org.clone(),
            email,
            role,
            created_at: now(),
        };
        let inserted = on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO users (id, org_id, email, password_hash, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&user.id)
            .bind(org)
            .bind(&user.email)
            .bind(&hash)
            .bind(user.role)
            .bind(user.created_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted.map_err(StoreError::from) {
            Ok(_) => Ok(user),
            Err(err) if err.is_unique_violation() => Err(StoreError::Conflict {
                field: "email",
                message: "a user with this email already exists",
            }),
            Err(err) => Err(err),
        }
    }

    /// Checks a login. Unknown email and wrong password both answer [`StoreError::InvalidLogin`],
    /// after the same amount of hashing work.
    #[instrument(skip_all)]
    pub async fn verify_user_password(
        &self,
        email: &str,
        password: SecretString,
    ) -> Result<User, StoreError> {
        let email = normalize_email(email).map_err(|_| StoreError::InvalidLogin)?;
        let row: Option<UserRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, org_id, email, role, created_at, password_hash FROM users WHERE email = $1",
            )
            .bind(&email)
            .fetch_optional(pool)
            .await?
        });
        let stored = match &row {
            Some(row) => row.password_hash.clone(),
            None => tokio::task::spawn_blocking(password::decoy_hash)
                .await?
                .map_err(StoreError::Password)?
                .to_owned(),
        };
        let matches =
            tokio::task::spawn_blocking(move || password::verify(&password, &stored)).await?;
        match row {
            Some(row) if matches => Ok(row.into_model()),
            _ => Err(StoreError::InvalidLogin),
        }
    }

    /// The organization's users, oldest first.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn list_users(&self, org: &OrgId) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, org_id, email, role, created_at, password_hash FROM users \
                 WHERE org_id = $1 ORDER BY created_at, id",
            )
            .bind(org)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(UserRow::into_model).collect())
    }

    /// One of `org`'s users.
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn get_user(&self, org: &OrgId, user: &UserId) -> Result<User, StoreError> {
        let row: Option<UserRow> = on_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, org_id, email, role, created_at, password_hash FROM users \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(user)
            .fetch_optional(pool)
            .await?
        });
        row.map(UserRow::into_model)
            .ok_or(StoreError::NotFound { what: "user" })
    }

    /// Removes one of `org`'s users unless they are its last one (then nothing changes and
    /// [`UserRemoval::LastUser`] says so). Their sessions end with them (foreign key cascade).
    #[instrument(skip_all, fields(org_id = %org))]
    pub async fn remove_user_unless_last(
        &self,
        org: &OrgId,
        user: &UserId,
    ) -> Result<UserRemoval, StoreError> {
        let removal = in_transaction!(&self.db, tx => {
            // A no-op write on the organization's row: on PostgreSQL it locks the row, so two
            // removals in one clinic run one after the other and cannot both see "2 left" and
            // leave none (SQLite's BEGIN IMMEDIATE already serializes writers).
            sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
                .bind(org)
                .execute(&mut *tx)
                .await?;
            let row: Option<UserRow> = sqlx::query_as(
                "SELECT id, org_id, email, role, created_at, password_hash FROM users \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?;
            match row {
                None => UserRemoval::NotFound,
                Some(_) if count <= 1 => UserRemoval::LastUser,
                Some(row) => {
                    sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
                        .bind(org)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                    UserRemoval::Removed(row.into_model())
                }
            }
        });
        Ok(removal)
    }
}

/// What `remove_user_unless_last` did.
#[derive(Debug, Clone, PartialEq)]
pub enum UserRemoval {
    Removed(User),
    /// The user is the organization's only one: removing them would lock the clinic out.
    LastUser,
    /// No such user in this organization.
    NotFound,
}
