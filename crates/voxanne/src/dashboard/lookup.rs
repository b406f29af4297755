//! Finding what a page's path names, in the signed-in admin's organization only: anything else,
//! another clinic's included, is the not-found page.
//!
//! Every page about one object takes [`Viewing`] (a page read) or [`PostedTo`] (a form posted
//! to it): the session, for a form the CSRF checks ([`Posted`]), then the object named by the
//! path's `{id}` through its [`Owned::find`]. A handler so never sees an object of another clinic
//! nor a form that was not sent from our pages, and none of them repeats the checks.

use std::future::Future;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Dashboard;
use super::csrf::{Nothing, Posted};
use super::render;
use super::session::Admin;
use crate::credentials::{self, CredentialError};
use crate::ids::CredentialId;
use crate::store::{Credential, CredentialType};

/// Something of the admin's organization that a dashboard path names by its `{id}`.
pub trait Owned: Sized + Send {
    /// The object `id` of the admin's organization; the not-found page for an id that does not
    /// parse, is unknown or is another clinic's, the error page when the store fails.
    fn find(
        state: &Dashboard,
        admin: &Admin,
        id: &str,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

/// The path's `{id}` (other parameters of the path are left to the handler).
#[derive(Deserialize)]
struct IdParam {
    id: String,
}

async fn path_id(parts: &mut Parts, state: &Dashboard) -> Result<String, Response> {
    let Path(IdParam { id }) = Path::<IdParam>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(id)
}

/// A page about one object, read by a signed-in admin of the object's clinic.
pub struct Viewing<O> {
    pub admin: Admin,
    pub object: O,
}

impl<O: Owned> FromRequestParts<Dashboard> for Viewing<O> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Dashboard) -> Result<Self, Response> {
        let admin = Admin::from_request_parts(parts, state).await?;
        let id = path_id(parts, state).await?;
        let object = O::find(state, &admin, &id).await?;
        Ok(Self { admin, object })
    }
}

/// A form posted about one object by a signed-in admin from one of our pages: 403 for a forged
/// request before anything is looked up, then the object or the not-found page.
pub struct PostedTo<O, F = Nothing> {
    pub admin: Admin,
    pub object: O,
    pub form: F,
}

impl<O: Owned, F: DeserializeOwned + Send> FromRequest<Dashboard> for PostedTo<O, F> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Dashboard) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let id = path_id(&mut parts, state).await?;
        let Posted { admin, form } =
            Posted::<F>::from_request(Request::from_parts(parts, body), state).await?;
        let object = O::find(state, &admin, &id).await?;
        Ok(Self {
            admin,
            object,
            form,
        })
    }
}

/// What a use case's lookup finds, as a page would have it: its not-found error (`missing`) is the
/// not-found page, any other error the error page.
pub async fn found<T, E: std::error::Error + 'static>(
    admin: &Admin,
    lookup: impl Future<Output = Result<T, E>>,
    missing: impl Fn(&E) -> bool,
) -> Result<T, Response> {
    lookup.await.map_err(|err| {
        if missing(&err) {
            render::not_found(admin)
        } else {
            render::internal_error(&err)
        }
    })
}

/// A Twilio account of the admin's organization.
pub struct TwilioAccount(pub Credential);

impl Owned for TwilioAccount {
    async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Self, Response> {
        credential_of_kind(state, admin, id, CredentialType::Twilio)
            .await
            .map(Self)
    }
}

/// A Google Calendar connection of the admin's organization.
pub struct CalendarConnection(pub Credential);

impl Owned for CalendarConnection {
    async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Self, Response> {
        credential_of_kind(state, admin, id, CredentialType::GoogleCalendar)
            .await
            .map(Self)
    }
}

/// The credential `id` of the admin's organization, when it is of `kind`.
async fn credential_of_kind(
    state: &Dashboard,
    admin: &Admin,
    id: &str,
    kind: CredentialType,
) -> Result<Credential, Response> {
    let id = CredentialId::parse(id).map_err(|_| render::not_found(admin))?;
    let credential = found(
        admin,
        credentials::get(&state.services, &admin.caller, &id),
        |err| matches!(err, CredentialError::NotFound),
    )
    .await?;
    if credential.kind != kind {
        return Err(render::not_found(admin));
    }
    Ok(credential)
}
