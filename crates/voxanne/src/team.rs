//! The clinic's team: the admins who may sign in to the dashboard.
//!
//! Rules: an admin is added with a one-time password that is shown once (the store keeps only its
//! argon2id hash); the last admin of a clinic cannot be removed, so a clinic never locks itself
//! out. Every change is written to the audit log.

use rand::Rng;
use secrecy::SecretString;

use crate::activity::{self, ActivityError, AuditAction};
use crate::ids::UserId;
use crate::store::{Role, Store, StoreError, User, UserRemoval};
use crate::tenant::Caller;

/// Length of a generated one-time password (≈ 119 bits from 62 symbols).
const ONE_TIME_PASSWORD_LEN: usize = 20;
// A one-time password must pass the password rule it is checked against.
const _: () = assert!(ONE_TIME_PASSWORD_LEN >= crate::password::MIN_LEN);
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The e-mail address is not shaped like one.
    #[error("{0}")]
    InvalidEmail(String),
    /// Someone (in this or another clinic) already signs in with this e-mail.
    #[error("an admin with this e-mail already exists")]
    EmailTaken,
    #[error("no such admin in this clinic")]
    NotFound,
    /// Removing this admin would leave the clinic with nobody who can sign in.
    #[error("the last admin of a clinic cannot be removed")]
    LastAdmin,
    #[error("the team could not be read or changed")]
    Store(#[source] StoreError),
    #[error(transparent)]
    Activity(#[from] ActivityError),
}

impl From<StoreError> for TeamError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Invalid {
                field: "email",
                message,
            } => Self::InvalidEmail(message),
            StoreError::Conflict { field: "email", .. } => Self::EmailTaken,
            StoreError::NotFound { .. } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// A new admin and the password to hand them, shown once.
#[derive(Debug)]
pub struct NewAdmin {
    pub user: User,
    pub one_time_password: SecretString,
}

/// One of the clinic's admins.
pub async fn get(store: &Store, caller: &Caller, user: &UserId) -> Result<User, TeamError> {
    Ok(store.get_user(caller.org(), user).await?)
}

/// The clinic's admins, oldest first.
pub async fn list(store: &Store, caller: &Caller) -> Result<Vec<User>, TeamError> {
    Ok(store.list_users(caller.org()).await?)
}

/// Adds an admin who signs in with `email` and a fresh one-time password.
pub async fn add_admin(store: &Store, caller: &Caller, email: &str) -> Result<NewAdmin, TeamError> {
    let password = one_time_password();
    let user = store
        .create_user(caller.org(), email, password.clone(), Role::Admin)
        .await?;
    activity::record(store, caller, AuditAction::AdminAdded, &user.email).await?;
    Ok(NewAdmin {
        user,
        one_time_password: password,
    })
}

/// Adds a user who signs in with `email` and a password they chose (the command line's
/// `voxanne user create`), in `role`.
pub async fn add_user_with_password(
    store: &Store,
    caller: &Caller,
    email: &str,
    password: SecretString,
    role: Role,
) -> Result<User, TeamError> {
    let user = store
        .create_user(caller.org(), email, password, role)
        .await?;
    activity::record(store, caller, AuditAction::AdminAdded, &user.email).await?;
    Ok(user)
}

/// Removes an admin, unless they are the clinic's last one.
pub async fn remove_admin(
    store: &Store,
    caller: &Caller,
    user: &UserId,
) -> Result<User, TeamError> {
    match store.remove_user_unless_last(caller.org(), user).await? {
        UserRemoval::Removed(removed) => {
            activity::record(store, caller, AuditAction::AdminRemoved, &removed.email).await?;
            Ok(removed)
        }
        UserRemoval::LastUser => Err(TeamError::LastAdmin),
        UserRemoval::NotFound => Err(TeamError::NotFound),
    }
}

fn one_time_password() -> SecretString {
    let mut rng = rand::rng();
    let text: String = (0..ONE_TIME_PASSWORD_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    SecretString::from(text)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn one_time_passwords_are_long_enough_and_differ() {
        let a = one_time_password();
        let b = one_time_password();
        assert_eq!(a.expose_secret().len(), ONE_TIME_PASSWORD_LEN);
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
