//! Finding what a page's path names, in the signed-in admin's organization only: anything else,
//! another clinic's included, is the not-found page.

use axum::response::Response;

use super::Dashboard;
use super::render;
use super::session::Admin;
use crate::credentials::{self, CredentialError};
use crate::ids::CredentialId;
use crate::store::{Credential, CredentialType};

/// The credential `id` of the admin's organization, when it is of `kind`.
pub async fn credential_of_kind(
    state: &Dashboard,
    admin: &Admin,
    id: &str,
    kind: CredentialType,
) -> Result<Credential, Response> {
    let Ok(id) = CredentialId::parse(id) else {
        return Err(render::not_found(admin));
    };
    match credentials::get(&state.services, &admin.caller, &id).await {
        Ok(credential) if credential.kind == kind => Ok(credential),
        Ok(_) | Err(CredentialError::NotFound) => Err(render::not_found(admin)),
        Err(err) => Err(render::internal_error(&err)),
    }
}
