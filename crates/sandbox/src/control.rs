//! The control API under `/sandbox` (JSON in, JSON out): set up accounts, keys, numbers,
//! messaging services and verified numbers, arm faults, read what phones received, and the live
//! phone page. Errors answer `{"error": "..."}` naming the field and the fix.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::accounts::{
    Account, AccountStatus, AccountType, MessagingService, NewAccount, OwnedNumber,
};
use crate::app::App;
use crate::faults::{Fault, FaultRequest};
use crate::messages::is_e164;
use crate::phones::ReceivedOut;
use crate::{ids, numbers};

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/accounts", post(create_account))
        .route("/accounts/{sid}", patch(update_account))
        .route("/accounts/{sid}/keys", post(create_key))
        .route("/accounts/{sid}/numbers", post(add_number))
        .route("/accounts/{sid}/messaging-services", post(add_service))
        .route("/accounts/{sid}/verified-numbers", post(verify_number))
        .route("/faults", post(arm_fault))
        .route("/phones", get(phone_page))
        .route("/phones/{phone}/messages", get(phone_messages))
        .route("/inboxes", get(inboxes))
}

/// A control API failure: status and a plain explanation.
#[derive(Debug)]
pub(crate) struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

/// A JSON body whose errors name the field; an empty body reads as `{}`.
pub(crate) struct JsonBody<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|error: BytesRejection| {
                bad_request(format!("cannot read the body: {error}"))
            })?;
        let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
            &b"{}"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes)
            .map(JsonBody)
            .map_err(|error| bad_request(format!("invalid JSON body: {error}")))
    }
}

fn account(app: &App, sid: &str) -> Result<Arc<Account>, ControlError> {
    app.directory.account(sid).ok_or_else(|| {
        ControlError(
            StatusCode::NOT_FOUND,
            format!("no account {sid}: create one with POST /sandbox/accounts"),
        )
    })
}

fn e164(field: &str, value: &str) -> Result<(), ControlError> {
    if is_e164(value) {
        Ok(())
    } else {
        Err(bad_request(format!(
            "{field} {value:?} is not in E.164 form, e.g. +14155552671"
        )))
    }
}

async fn create_account(
    State(app): State<Arc<App>>,
    JsonBody(new): JsonBody<NewAccount>,
) -> Response {
    (StatusCode::CREATED, Json(app.directory.create(new))).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    status: Option<AccountStatus>,
    #[serde(rename = "type")]
    kind: Option<AccountType>,
    friendly_name: Option<String>,
}

async fn update_account(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
    JsonBody(change): JsonBody<AccountChange>,
) -> Result<Json<Value>, ControlError> {
    let account = account(&app, &sid)?;
    let mut profile = account.profile.write();
    if let Some(status) = change.status {
        profile.status = status;
    }
    if let Some(kind) = change.kind {
        profile.kind = kind;
    }
    if let Some(name) = change.friendly_name {
        profile.friendly_name = name;
    }
    profile.date_updated = Utc::now();
    Ok(Json(
        json!({"account_sid": sid, "status": profile.status, "type": profile.kind}),
    ))
}

async fn create_key(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
) -> Result<Response, ControlError> {
    let account = account(&app, &sid)?;
    let (key_sid, secret) = app.directory.create_key(&account);
    Ok((
        StatusCode::CREATED,
        Json(json!({"sid": key_sid, "secret": secret})),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNumber {
    phone_number: String,
    #[serde(default = "yes")]
    sms: bool,
}

fn yes() -> bool {
    true
}

async fn add_number(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
    JsonBody(new): JsonBody<NewNumber>,
) -> Result<Response, ControlError> {
    e164("phone_number", &new.phone_number)?;
    let account = account(&app, &sid)?;
    let mut profile = account.profile.write();
    if profile.number(&new.phone_number).is_some() {
        return Err(ControlError(
            StatusCode::CONFLICT,
            format!("{} is already a number of {sid}", new.phone_number),
        ));
    }
    let number = own(&mut profile.numbers, &new.phone_number, new.sms);
    Ok((
        StatusCode::CREATED,
        Json(json!({"sid": number.sid, "phone_number": number.phone_number})),
    )
        .into_response())
}

/// Adds a number to an account's list; its SID carries its position for paging.
fn own(numbers: &mut Vec<OwnedNumber>, phone_number: &str, sms: bool) -> OwnedNumber {
    let number = OwnedNumber {
        sid: ids::sid_with_seq("PN", numbers.len() as u64 + 1),
        phone_number: phone_number.to_owned(),
        sms,
        date_created: Utc::now(),
    };
    numbers.push(number.clone());
    number
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewService {
    friendly_name: Option<String>,
    #[serde(default)]
    numbers: Vec<String>,
}

/// Creates a Messaging Service; pool numbers the account does not own yet are added to it as
/// SMS-capable numbers.
async fn add_service(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
    JsonBody(new): JsonBody<NewService>,
) -> Result<Response, ControlError> {
    for number in &new.numbers {
        e164("numbers[]", number)?;
    }
    let account = account(&app, &sid)?;
    let mut profile = account.profile.write();
    for number in &new.numbers {
        if profile.number(number).is_none() {
            own(&mut profile.numbers, number, true);
        }
    }
    let service = MessagingService {
        sid: ids::sid("MG"),
        friendly_name: new
            .friendly_name
            .unwrap_or_else(|| "Sandbox Messaging Service".into()),
        numbers: new.numbers,
        date_created: Utc::now(),
    };
    let sid = service.sid.clone();
    profile.services.push(service);
    Ok((StatusCode::CREATED, Json(json!({"sid": sid}))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVerified {
    phone_number: String,
}

async fn verify_number(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
    JsonBody(new): JsonBody<NewVerified>,
) -> Result<Response, ControlError> {
    e164("phone_number", &new.phone_number)?;
    let account = account(&app, &sid)?;
    account
        .profile
        .write()
        .verified
        .insert(new.phone_number.clone());
    Ok((
        StatusCode::CREATED,
        Json(json!({"phone_number": new.phone_number})),
    )
        .into_response())
}

async fn arm_fault(
    State(app): State<Arc<App>>,
    JsonBody(request): JsonBody<FaultRequest>,
) -> Result<Response, ControlError> {
    let account = account(&app, &request.account_sid)?;
    let fault = Fault {
        kind: request.fault,
        retry_after: request.retry_after,
        process: request.process,
    };
    account.faults.arm(fault, request.count);
    let body = json!({"account_sid": request.account_sid, "count": request.count});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn phone_messages(
    State(app): State<Arc<App>>,
    Path(phone): Path<String>,
) -> Result<Json<Vec<ReceivedOut>>, ControlError> {
    // A typo ("4155550100", "+1 415…") would otherwise look like a phone that got nothing.
    e164("phone", phone.trim())?;
    Ok(Json(app.inboxes.messages(phone.trim())))
}

async fn inboxes(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!(app.inboxes.all()))
}

/// The phone page: every phone's inbox, then every owned number (so a demo shows senders too).
#[derive(Template)]
#[template(path = "phones.html")]
struct PhonePage {
    phones: Vec<(String, Vec<ReceivedOut>)>,
    senders: Vec<String>,
}

async fn phone_page(State(app): State<Arc<App>>) -> Result<Html<String>, ControlError> {
    let mut senders: Vec<String> = app
        .directory
        .all()
        .iter()
        .flat_map(|account| {
            let profile = account.profile.read();
            profile
                .numbers
                .iter()
                .map(|n| numbers::friendly_name(&n.phone_number))
                .collect::<Vec<_>>()
        })
        .collect();
    senders.sort();
    let page = PhonePage {
        phones: app.inboxes.all().into_iter().collect(),
        senders,
    };
    page.render().map(Html).map_err(|error| {
        ControlError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render the page: {error}"),
        )
    })
}
