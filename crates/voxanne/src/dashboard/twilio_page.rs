//! `/dashboard/twilio`: the clinic's Twilio accounts, and the form that adds one (checked by the
//! same rules as the JSON API, verified at once, then shown on its own page).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;

use super::Dashboard;
use super::csrf::Posted;
use super::form::{self, FieldView, given};
use super::overview::{Badge, badge};
use super::render::{self, Nav, Section, when};
use super::session::Admin;
use crate::credentials::{self, CredentialError, NewTwilioAccount};
use crate::masking::mask_sid;
use crate::store::{Credential, CredentialType};

pub struct AccountRow {
    pub id: String,
    pub label: String,
    pub sid: String,
    pub sender: String,
    pub badge: Badge,
    pub verified: String,
    pub primary: bool,
}

pub fn row(credential: &Credential) -> AccountRow {
    let display = &credential.display;
    let sender = match (&display.from_number, &display.messaging_service_sid) {
        (Some(number), _) => number.clone(),
        (None, Some(service)) => format!("Messaging Service {service}"),
        (None, None) => "—".to_owned(),
    };
    AccountRow {
        id: credential.id.to_string(),
        label: credential.label.clone(),
        sid: display
            .account_sid
            .as_deref()
            .map(mask_sid)
            .unwrap_or_default(),
        sender,
        badge: badge(credential),
        verified: credential
            .verified_at
            .as_ref()
            .map_or_else(|| "never".to_owned(), when),
        primary: credential.is_primary,
    }
}

#[derive(Template)]
#[template(path = "dashboard/twilio.html")]
struct TwilioPage {
    nav: Nav,
    accounts: Vec<AccountRow>,
    fields: Vec<FieldView>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    auth_token: String,
    #[serde(default)]
    api_key_sid: String,
    #[serde(default)]
    api_key_secret: String,
    #[serde(default)]
    from_number: String,
    #[serde(default)]
    messaging_service_sid: String,
}

fn fields(typed: &AddForm) -> Vec<FieldView> {
    vec![
        FieldView::new(
            "label",
            "Label",
            "text",
            "A name you will recognize, e.g. Front desk.",
        )
        .typed(&typed.label),
        FieldView::new(
            "account_sid",
            "Account SID",
            "text",
            "Starts with AC; on your Twilio Console's dashboard.",
        )
        .typed(&typed.account_sid),
        FieldView::new(
            "auth_token",
            "Auth Token",
            "password",
            "Next to the Account SID in the Console. Leave empty if you use an API key.",
        ),
        FieldView::new(
            "api_key_sid",
            "API Key SID",
            "text",
            "Starts with SK; instead of the Auth Token (Console → API keys).",
        )
        .typed(&typed.api_key_sid),
        FieldView::new(
            "api_key_secret",
            "API Key Secret",
            "password",
            "Shown once by Twilio when the key was made.",
        ),
        FieldView::new(
            "from_number",
            "From number",
            "tel",
            "A number of this account that can send SMS, e.g. +14155552671.",
        )
        .typed(&typed.from_number),
        FieldView::new(
            "messaging_service_sid",
            "Messaging Service SID",
            "text",
            "Starts with MG; instead of a From number.",
        )
        .typed(&typed.messaging_service_sid),
    ]
}

async fn page(
    state: &Dashboard,
    admin: &Admin,
    status: StatusCode,
    fields: Vec<FieldView>,
    error: Option<String>,
) -> Response {
    let accounts =
        match credentials::list(&state.services, &admin.caller, Some(CredentialType::Twilio)).await
        {
            Ok(accounts) => accounts,
            Err(err) => return render::internal_error(&err),
        };
    let page = TwilioPage {
        nav: Nav::new(admin, Section::Twilio),
        accounts: accounts.iter().map(row).collect(),
        fields,
        error,
    };
    render::page(status, &page)
}

pub async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    page(
        &state,
        &admin,
        StatusCode::OK,
        fields(&AddForm::default()),
        None,
    )
    .await
}

pub async fn add(State(state): State<Dashboard>, posted: Posted<AddForm>) -> Response {
    let Posted { admin, form } = posted;
    let account = NewTwilioAccount {
        label: given(&form.label),
        account_sid: form.account_sid.trim().to_owned(),
        auth_token: given(&form.auth_token).map(SecretString::from),
        api_key_sid: given(&form.api_key_sid),
        api_key_secret: given(&form.api_key_secret).map(SecretString::from),
        from_number: given(&form.from_number),
        messaging_service_sid: given(&form.messaging_service_sid),
    };
    match credentials::add_twilio(&state.services, &admin.caller, account, true).await {
        Ok(credential) => {
            Redirect::to(&format!("/dashboard/twilio/{}", credential.id)).into_response()
        }
        Err(CredentialError::Invalid(err)) => {
            let mut fields = fields(&form);
            let error = form::place(&mut fields, &err);
            page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                fields,
                error,
            )
            .await
        }
        Err(err) => render::internal_error(&err),
    }
}
