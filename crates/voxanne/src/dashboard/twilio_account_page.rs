//! `/dashboard/twilio/{id}`: one Twilio account: its verification (each check in words), a test
//! SMS whose status changes in place, and the changes a clinic makes (primary, disable/enable,
//! replace the secret, delete). Every rule is the credentials and messaging use cases'.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::Dashboard;
use super::activity_page::status_badge;
use super::csrf::Posted;
use super::form::{self, FieldView, given};
use super::overview::Badge;
use super::render::{self, Confirm, Nav, Section};
use super::session::Admin;
use super::twilio_page::{AccountRow, row};
use crate::check::Surface;
use crate::credentials::{self, CredentialChanges, CredentialError, VerifyRequest};
use crate::ids::CredentialId;
use crate::messaging::{self, Accepted, ReadError, SendError, SmsRequest};
use crate::outbox::MessageRecord;
use crate::phone::PhoneNumber;
use crate::store::{Credential, CredentialType, TwilioAuthMode};
use crate::verification::{Outcome, Verification};

/// What the JavaScript sends so the answer is the status fragment, not the whole page.
const FRAGMENT_HEADER: &str = "x-voxanne-fragment";

struct CheckRow {
    name: String,
    badge: Badge,
    message: String,
    hint: Option<String>,
}

pub struct SmsView {
    to: String,
    badge: Badge,
    reason: Option<String>,
    /// The account's page (the no-script way to see the status again).
    page: String,
}

#[derive(Template)]
#[template(path = "dashboard/test_sms.html")]
struct TestSmsFragment {
    /// Where the script asks for the status again, while it can still change.
    poll: Option<String>,
    sms: Option<SmsView>,
}

#[derive(Template)]
#[template(path = "dashboard/twilio_account.html")]
struct AccountPage {
    nav: Nav,
    account: AccountRow,
    active: bool,
    auth_words: &'static str,
    secret_last4: Option<String>,
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

fn outcome_badge(outcome: Outcome) -> Badge {
    let (class, icon, words) = match outcome {
        Outcome::Pass => ("ok", "✓", "passed"),
        Outcome::Fail => ("bad", "✕", "failed"),
        Outcome::Skip => ("off", "–", "not applicable"),
    };
    Badge { class, icon, words }
}

fn sms_fragment(credential: &str, message: Option<&MessageRecord>) -> String {
    let fragment = TestSmsFragment {
        poll: message
            .filter(|m| !m.status.is_final())
            .map(|m| format!("/dashboard/twilio/{credential}/test-sms/{}", m.id)),
        sms: message.map(|m| SmsView {
            to: m.to.clone(),
            badge: status_badge(m.status),
            reason: m.reason.clone(),
            page: format!("/dashboard/twilio/{credential}?sms={}", m.id),
        }),
    };
    // The fragment is fixed markup around escaped values; should rendering fail, show nothing.
    fragment.render().unwrap_or_default()
}

fn secret_field(credential: &Credential) -> FieldView {
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
struct Extras {
    notice: Option<&'static str>,
    error: Option<String>,
    test_to: String,
    sms_to: String,
    sms_error: Option<String>,
    sms: Option<MessageRecord>,
    secret: Option<FieldView>,
}

fn account_page(admin: &Admin, credential: &Credential, extras: Extras) -> AccountPage {
    let checks = Verification::last_of(credential)
        .map(|last| last.report.checks)
        .unwrap_or_default()
        .into_iter()
        .map(|check| CheckRow {
            name: check_name(&check.id),
            badge: outcome_badge(check.status),
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

/// The organization's Twilio credential `id`, or the 404 page.
async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Credential, Response> {
    let Ok(id) = CredentialId::parse(id) else {
        return Err(render::not_found(admin));
    };
    match credentials::get(&state.services, &admin.caller, &id).await {
        Ok(credential) if credential.kind == CredentialType::Twilio => Ok(credential),
        Ok(_) | Err(CredentialError::NotFound) => Err(render::not_found(admin)),
        Err(err) => Err(render::internal_error(&err)),
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
    admin: Admin,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
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
    Path(id): Path<String>,
    posted: Posted<VerifyForm>,
) -> Response {
    let Posted { admin, form } = posted;
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
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
fn changed_or_error(admin: &Admin, credential: &Credential, err: CredentialError) -> Response {
    let words = match err {
        CredentialError::Invalid(field) => form::words(&field),
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

#[derive(Deserialize)]
pub struct SmsForm {
    #[serde(default)]
    to: String,
}

/// Why a test SMS was not queued, in words.
fn send_words(err: SendError) -> Result<String, SendError> {
    Ok(match err {
        SendError::Invalid(field) => form::words(&field),
        SendError::Unusable(unusable) => format!("This account cannot send now: {unusable}."),
        other => return Err(other),
    })
}

pub async fn test_sms(
    State(state): State<Dashboard>,
    Path(id): Path<String>,
    headers: HeaderMap,
    posted: Posted<SmsForm>,
) -> Response {
    let Posted { admin, form } = posted;
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
    let clinic = match state.store().get_organization(admin.caller.org()).await {
        Ok(org) => org.name,
        Err(err) => return render::internal_error(&err),
    };
    let request = SmsRequest {
        to: form.to.clone(),
        body: format!(
            "Test message from Voxanne for {clinic}: this Twilio account can send texts."
        ),
        credential_id: Some(credential.id.to_string()),
    };
    let fragment_only = headers.contains_key(FRAGMENT_HEADER);
    let result = messaging::send_sms(&state.services, &admin.caller, request, None).await;
    let (message, sms_error) = match result {
        Ok(Accepted::Queued(messages)) => (messages.into_iter().next(), None),
        Ok(Accepted::Replayed(_)) => (None, None),
        Err(err) => match send_words(err) {
            Ok(words) => (None, Some(words)),
            Err(other) => return render::internal_error(&other),
        },
    };
    if fragment_only && sms_error.is_none() {
        return Html(sms_fragment(credential.id.as_ref(), message.as_ref())).into_response();
    }
    let status = if sms_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let extras = Extras {
        sms_to: form.to,
        sms_error,
        sms: message,
        ..Extras::default()
    };
    render::page(status, &account_page(&admin, &credential, extras))
}

pub async fn sms_status(
    State(state): State<Dashboard>,
    admin: Admin,
    Path((id, message)): Path<(String, String)>,
) -> Response {
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
    match messaging::get(&state.services, &admin.caller, &message).await {
        Ok((record, _)) if record.credential_id == credential.id.as_str() => {
            Html(sms_fragment(&id, Some(&record))).into_response()
        }
        Ok(_) | Err(ReadError::NotFound) => render::not_found(&admin),
        Err(err) => render::internal_error(&err),
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

async fn change(
    state: &Dashboard,
    admin: &Admin,
    id: &str,
    changes: CredentialChanges,
    done: &str,
) -> Response {
    let credential = match find(state, admin, id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
    match credentials::update(&state.services, &admin.caller, &credential.id, changes).await {
        Ok(_) => Redirect::to(&format!("/dashboard/twilio/{}?done={done}", credential.id))
            .into_response(),
        Err(err) => changed_or_error(admin, &credential, err),
    }
}

pub async fn make_primary(
    State(state): State<Dashboard>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Response {
    let changes = CredentialChanges {
        is_primary: Some(true),
        ..CredentialChanges::default()
    };
    change(&state, &posted.admin, &id, changes, "primary").await
}

pub async fn disable(
    State(state): State<Dashboard>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Response {
    let changes = CredentialChanges {
        is_active: Some(false),
        ..CredentialChanges::default()
    };
    change(&state, &posted.admin, &id, changes, "disabled").await
}

pub async fn enable(
    State(state): State<Dashboard>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Response {
    let changes = CredentialChanges {
        is_active: Some(true),
        ..CredentialChanges::default()
    };
    change(&state, &posted.admin, &id, changes, "enabled").await
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
    Path(id): Path<String>,
    posted: Posted<SecretForm>,
) -> Response {
    let Posted { admin, form } = posted;
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
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

pub async fn confirm_delete(
    State(state): State<Dashboard>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
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

pub async fn delete(
    State(state): State<Dashboard>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Response {
    let admin = posted.admin;
    let credential = match find(&state, &admin, &id).await {
        Ok(credential) => credential,
        Err(response) => return response,
    };
    match credentials::delete(&state.services, &admin.caller, &credential.id).await {
        Ok(_) => Redirect::to("/dashboard/twilio").into_response(),
        Err(CredentialError::NotFound) => render::not_found(&admin),
        Err(err) => render::internal_error(&err),
    }
}
