//! The changes a clinic makes to a Twilio account from its page: make primary, disable or
//! enable, replace the secret (without retyping the SID), delete after a confirmation step.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::Dashboard;
use super::form::{self, given};
use super::lookup::{PostedTo, TwilioAccount, Viewing};
use super::render::{self, Confirm, Nav, Section};
use super::twilio_account_page::{Extras, account_page, changed_or_error, secret_field};
use crate::credentials::{self, CredentialChanges, CredentialError};

async fn change(
    state: &Dashboard,
    posted: PostedTo<TwilioAccount>,
    changes: CredentialChanges,
    done: &str,
) -> Response {
    let PostedTo {
        admin,
        object: TwilioAccount(credential),
        ..
    } = posted;
    match credentials::update(&state.services, &admin.caller, &credential.id, changes).await {
        Ok(_) => Redirect::to(&format!("/dashboard/twilio/{}?done={done}", credential.id))
            .into_response(),
        Err(err) => changed_or_error(&admin, &credential, err),
    }
}

pub async fn make_primary(
    State(state): State<Dashboard>,
    posted: PostedTo<TwilioAccount>,
) -> Response {
    let changes = CredentialChanges {
        is_primary: Some(true),
        ..CredentialChanges::default()
    };
    change(&state, posted, changes, "primary").await
}

pub async fn disable(State(state): State<Dashboard>, posted: PostedTo<TwilioAccount>) -> Response {
    let changes = CredentialChanges {
        is_active: Some(false),
        ..CredentialChanges::default()
    };
    change(&state, posted, changes, "disabled").await
}

pub async fn enable(State(state): State<Dashboard>, posted: PostedTo<TwilioAccount>) -> Response {
    let changes = CredentialChanges {
        is_active: Some(true),
        ..CredentialChanges::default()
    };
    change(&state, posted, changes, "enabled").await
}

#[derive(Deserialize)]
pub struct SecretForm {
    #[serde(default)]
    auth_token: String,
    #[serde(default)]
    api_key_secret: String,
}

pub async fn replace_secret(
    State(state): State<Dashboard>,
    posted: PostedTo<TwilioAccount, SecretForm>,
) -> Response {
    let PostedTo {
        admin,
        object: TwilioAccount(credential),
        form,
    } = posted;
    let mut field = secret_field(&credential);
    let given_secret = given(if field.name == "api_key_secret" {
        &form.api_key_secret
    } else {
        &form.auth_token
    });
    let Some(secret) = given_secret else {
        field.error = Some(format!("Type the new {}.", field.label));
        let extras = Extras {
            secret: Some(field),
            ..Extras::default()
        };
        let page = account_page(&admin, &credential, extras);
        return render::page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let mut changes = CredentialChanges::default();
    if field.name == "api_key_secret" {
        changes.api_key_secret = Some(SecretString::from(secret));
    } else {
        changes.auth_token = Some(SecretString::from(secret));
    }
    match credentials::update(&state.services, &admin.caller, &credential.id, changes).await {
        Ok(_) => Redirect::to(&format!("/dashboard/twilio/{}?done=secret", credential.id))
            .into_response(),
        Err(CredentialError::Invalid(err)) => {
            let mut fields = vec![field];
            let error = form::place(&mut fields, &err);
            let extras = Extras {
                error,
                secret: fields.pop(),
                ..Extras::default()
            };
            let page = account_page(&admin, &credential, extras);
            render::page(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(err) => changed_or_error(&admin, &credential, err),
    }
}

pub async fn confirm_delete(viewing: Viewing<TwilioAccount>) -> Response {
    let Viewing {
        admin,
        object: TwilioAccount(credential),
    } = viewing;
    let back = format!("/dashboard/twilio/{}", credential.id);
    let confirm = Confirm {
        nav: Nav::new(&admin, Section::Twilio),
        title: "Delete Twilio account",
        question: format!(
            "Delete \"{}\"? Its secrets are destroyed and nothing is sent through it any more. This cannot be undone.",
            credential.label
        ),
        action: format!("/dashboard/twilio/{}/delete", credential.id),
        yes: "Yes, delete",
        back: &back,
        error: None,
    };
    render::page(StatusCode::OK, &confirm)
}

pub async fn delete(State(state): State<Dashboard>, posted: PostedTo<TwilioAccount>) -> Response {
    let PostedTo {
        admin,
        object: TwilioAccount(credential),
        ..
    } = posted;
    let deleted = credentials::delete(&state.services, &admin.caller, &credential.id).await;
    render::after_change(&admin, deleted, "/dashboard/twilio", |err| {
        matches!(err, CredentialError::NotFound)
    })
}
