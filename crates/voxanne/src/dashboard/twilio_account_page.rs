//! `/dashboard/twilio/{id}`: one Twilio account and its verification (each check in words). The
//! test SMS is in [`super::test_sms`], the changes (primary, disable/enable, replace the secret,
//! delete) in [`super::twilio_changes`]. Every rule is the credentials use case's.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Dashboard;
use super::form::{self, FieldView, given};
use super::lookup::{PostedTo, TwilioAccount, Viewing};
use super::overview::Badge;
use super::render::{self, Nav, Section};
use super::session::Admin;
use super::test_sms_status::sms_fragment;
use super::twilio_page::{AccountRow, row};
use crate::check::Surface;
use crate::credentials::{self, CredentialError, VerifyRequest};
use crate::messaging;
use crate::outbox::MessageRecord;
use crate::phone::PhoneNumber;
use crate::store::{Credential, TwilioAuthMode};
use crate::verification::{Outcome, Verification};

struct CheckRow {
    name: String,
    badge: Badge,
    message: String,
    hint: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/twilio_account.html")]
pub(super) struct AccountPage {
    nav: Nav,
    account: AccountRow,
    active: bool,
    auth_words: &'static str,
    secret_last4: Option<String>,
    /// The last scheduled re-check, in words.
    recheck: String,
    checks: Vec<CheckRow>,
    notice: Option<&'static str>,
    error: Option<String>,
    test_to: String,
    sms_to: String,
    sms_error: Option<String>,
    /// The rendered status fragment (our own escaped template).
    sms_status: String,
    /// The "Replace secret" form's field.
    fields: Vec<FieldView>,
}

fn check_name(id: &str) -> String {
    match id {
        "account" => "Account".to_owned(),
        "phone" => "Phone number".to_owned(),
        "generic_sms" => "Test text".to_owned(),
        "hot_lead_sms" => "Hot-lead test text".to_owned(),
        other => other.replace('_', " "),
    }
}

fn outcome_badge(outcome: Outcome, could_not_check: bool) -> Badge {
    let (class, icon, words) = match outcome {
        Outcome::Pass => ("ok", "✓", "passed"),
        Outcome::Fail if could_not_check => ("warn", "?", "could not check"),
        Outcome::Fail => ("bad", "✕", "failed"),
        Outcome::Skip => ("off", "–", "not applicable"),
    };
    Badge { class, icon, words }
}

pub(super) fn secret_field(credential: &Credential) -> FieldView {
    match credential.display.auth_mode {
        Some(TwilioAuthMode::ApiKey) => FieldView::new(
            "api_key_secret",
            "API Key Secret",
            "password",
            "The new secret of the same API key; the SID stays.",
        ),
        _ => FieldView::new(
            "auth_token",
            "Auth Token",
            "password",
            "The account's new Auth Token (after a rotation in the Twilio Console).",
        ),
    }
}

/// What `?done=` may say: fixed sentences only, so a link cannot make the page say anything.
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "verified" => "Verification finished: each check is listed below.",
        "primary" => "This is now the primary account: alerts go out through it.",
        "disabled" => "The account is disabled: nothing is sent through it until you enable it.",
        "enabled" => "The account is enabled again. Verify it to be sure it still works.",
        "secret" => "The secret was replaced. Press Verify to check it.",
        _ => return None,
    })
}

#[derive(Default)]
pub(super) struct Extras {
    pub(super) notice: Option<&'static str>,
    pub(super) error: Option<String>,
    pub(super) test_to: String,
    pub(super) sms_to: String,
    pub(super) sms_error: Option<String>,
    pub(super) sms: Option<MessageRecord>,
    pub(super) secret: Option<FieldView>,
}

pub(super) fn account_page(admin: &Admin, credential: &Credential, extras: Extras) -> AccountPage {
    let checks = Verification::last_of(credential)
        .map(|last| last.report.checks)
        .unwrap_or_default()
        .into_iter()
        .map(|check| CheckRow {
            name: check_name(&check.id),
            badge: outcome_badge(check.status, check.could_not_check),
            message: check.message,
            hint: check.hint,
        })
        .collect();
    let id = credential.id.to_string();
    AccountPage {
        nav: Nav::new(admin, Section::Twilio),
        account: row(credential),
        active: credential.is_active,
        auth_words: match credential.display.auth_mode {
            Some(TwilioAuthMode::ApiKey) => "an API key",
            _ => "the Auth Token",
        },
        secret_last4: credential.secret_last4.clone(),
        recheck: super::recheck::recheck_words(credential),
        checks,
        notice: extras.notice,
        error: extras.error,
        test_to: extras.test_to,
        sms_to: extras.sms_to,
        sms_error: extras.sms_error,
        sms_status: sms_fragment(&id, extras.sms.as_ref()),
        fields: vec![extras.secret.unwrap_or_else(|| secret_field(credential))],
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    sms: String,
}

pub async fn show(
    State(state): State<Dashboard>,
    viewing: Viewing<TwilioAccount>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let Viewing {
        admin,
        object: TwilioAccount(credential),
    } = viewing;
    let sms = match query.sms.as_str() {
        "" => None,
        sms => messaging::get(&state.services, &admin.caller, sms)
            .await
            .ok()
            .map(|(message, _)| message),
    };
    let extras = Extras {
        notice: notice(&query.done),
        sms,
        ..Extras::default()
    };
    render::page(StatusCode::OK, &account_page(&admin, &credential, extras))
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    test_to: String,
}

pub async fn verify(
    State(state): State<Dashboard>,
    posted: PostedTo<TwilioAccount, VerifyForm>,
) -> Response {
    let PostedTo {
        admin,
        object: TwilioAccount(credential),
        form,
    } = posted;
    let test_to = match given(&form.test_to).map(|to| PhoneNumber::parse("test_to", &to)) {
        None => None,
        Some(Ok(number)) => Some(number),
        Some(Err(err)) => {
            let extras = Extras {
                error: Some(form::words(&err.into())),
                test_to: form.test_to,
                ..Extras::default()
            };
            let page = account_page(&admin, &credential, extras);
            return render::page(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let request = VerifyRequest {
        test_to,
        surface: Surface::Dashboard,
    };
    match credentials::verify(&state.services, &admin.caller, &credential.id, request).await {
        Ok(_) => Redirect::to(&format!(
            "/dashboard/twilio/{}?done=verified",
            credential.id
        ))
        .into_response(),
        Err(err) => changed_or_error(&admin, &credential, err),
    }
}

/// A use-case refusal on this page, in words; anything else is the error page.
pub(super) fn changed_or_error(
    admin: &Admin,
    credential: &Credential,
    err: CredentialError,
) -> Response {
    let words = match err {
        CredentialError::Invalid(field) | CredentialError::Conflict(field) => form::words(&field),
        CredentialError::InactivePrimary => {
            "A disabled account cannot be the primary one: enable it first.".to_owned()
        }
        CredentialError::Undecryptable => {
            "This account's secrets cannot be decrypted with the server's keys: replace its secret."
                .to_owned()
        }
        CredentialError::NotFound => return render::not_found(admin),
        other => return render::internal_error(&other),
    };
    let extras = Extras {
        error: Some(words),
        ..Extras::default()
    };
    render::page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &account_page(admin, credential, extras),
    )
}
