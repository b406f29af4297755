//! The test SMS on a Twilio account's page: queued through the messaging use case with the
//! account named, its status shown in a `role="status"` region that our script refreshes in
//! place (the page neither leaves nor reloads); without the script, the page is sent again.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::Dashboard;
use super::form;
use super::lookup::{PostedTo, TwilioAccount, Viewing};
use super::render;
use super::test_sms_status::sms_fragment;
use super::twilio_account_page::{Extras, account_page};
use crate::messaging::{self, Accepted, ReadError, SendError, SmsRequest};

/// What the JavaScript sends so the answer is the status fragment, not the whole page.
const FRAGMENT_HEADER: &str = "x-voxanne-fragment";

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
    headers: HeaderMap,
    posted: PostedTo<TwilioAccount, SmsForm>,
) -> Response {
    let PostedTo {
        admin,
        object: TwilioAccount(credential),
        form,
    } = posted;
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

/// The message part of `/dashboard/twilio/{id}/test-sms/{message}`.
#[derive(Deserialize)]
pub struct MessageParam {
    message: String,
}

pub async fn sms_status(
    State(state): State<Dashboard>,
    viewing: Viewing<TwilioAccount>,
    Path(MessageParam { message }): Path<MessageParam>,
) -> Response {
    let Viewing {
        admin,
        object: TwilioAccount(credential),
    } = viewing;
    match messaging::get(&state.services, &admin.caller, &message).await {
        Ok((record, _)) if record.credential_id == credential.id.as_str() => {
            Html(sms_fragment(credential.id.as_ref(), Some(&record))).into_response()
        }
        Ok(_) | Err(ReadError::NotFound) => render::not_found(&admin),
        Err(err) => render::internal_error(&err),
    }
}
