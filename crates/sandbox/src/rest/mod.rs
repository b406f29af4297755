//! Twilio's REST surface: every call goes through the same pipeline — authenticate, check the
//! path's AccountSid, consume an armed fault, check what the credential may do, run the
//! operation, render JSON or XML.

mod ops;
mod route;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use url::form_urlencoded;

use self::route::{Format, Operation, Route};
use crate::accounts::AccountStatus;
use crate::app::App;
use crate::auth::{Credential, Principal, authenticate};
use crate::errors::TwilioError;
use crate::faults::{Fault, FaultKind};
use crate::wire::{AccountOut, Items, MessageOut, PageOut, ServiceOut};
use crate::{server, xml};

/// A successful answer: its status and body (none for 204).
pub(crate) struct Reply {
    status: StatusCode,
    payload: Option<Payload>,
}

pub(crate) enum Payload {
    Message(MessageOut),
    Account(AccountOut),
    Page(PageOut),
    Service(ServiceOut),
}

/// `/2010-04-01/...`
pub(crate) async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let route = Route::parse(path);
    let format = route.as_ref().map_or(Format::Json, |route| route.format);
    let principal = match authenticate(&app.directory, &headers) {
        Ok(principal) => principal,
        Err(error) => return error_response(error, format),
    };
    let Some(route) = route else {
        return error_response(TwilioError::not_found(path), format);
    };
    if route.account_sid != principal.path_sid() {
        return error_response(TwilioError::authenticate(), format);
    }
    let query = pairs(uri.query().unwrap_or_default().as_bytes());
    let form = if method == Method::POST {
        pairs(&body)
    } else {
        Vec::new()
    };
    let run = || {
        let operation = route
            .operation(&method)
            .ok_or_else(TwilioError::method_not_allowed)?;
        permit(&principal, operation)?;
        let request = ops::Request {
            app: &app,
            principal: &principal,
            route: &route,
            path,
            query: &query,
            form: &form,
        };
        ops::run(operation, &request)
    };
    match principal.account.faults.take() {
        None => render(run(), format),
        Some(fault) => faulted(fault, run, app.hang_for, format).await,
    }
}

/// `/v1/Services/{MGsid}`: Messaging Service fetch, for existence checks (always JSON).
pub(crate) async fn handle_service(
    State(app): State<Arc<App>>,
    Path(sid): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let principal = match authenticate(&app.directory, &headers) {
        Ok(principal) => principal,
        Err(error) => return error_response(error, Format::Json),
    };
    let run = || {
        if method != Method::GET {
            return Err(TwilioError::method_not_allowed());
        }
        if principal.credential == Credential::Test {
            return Err(TwilioError::test_credentials_forbidden());
        }
        if principal.account.profile.read().status == AccountStatus::Suspended {
            return Err(TwilioError::account_suspended());
        }
        ops::fetch_service(&principal, &sid)
    };
    match principal.account.faults.take() {
        None => render(run(), Format::Json),
        Some(fault) => faulted(fault, run, app.hang_for, Format::Json).await,
    }
}

/// Any path the sandbox does not serve.
pub(crate) async fn not_found(uri: Uri) -> Response {
    error_response(TwilioError::not_found(uri.path()), Format::Json)
}

/// What each credential may do: test credentials only create messages (403/20008), an API key
/// cannot fetch the Account (401/20003), a suspended account only fetches itself (403/20403).
fn permit(principal: &Principal, operation: Operation) -> Result<(), TwilioError> {
    match (principal.credential, operation) {
        (Credential::Test, Operation::CreateMessage) => {}
        (Credential::Test, _) => return Err(TwilioError::test_credentials_forbidden()),
        (Credential::Key, Operation::FetchAccount) => return Err(TwilioError::authenticate()),
        _ => {}
    }
    let suspended = principal.account.profile.read().status == AccountStatus::Suspended;
    if suspended && operation != Operation::FetchAccount {
        return Err(TwilioError::account_suspended());
    }
    Ok(())
}

/// Answers with an armed fault instead of the operation's result; the operation runs first when
/// the fault says `process` (never for 429, which Twilio guarantees was not processed).
async fn faulted(
    fault: Fault,
    run: impl FnOnce() -> Result<Reply, TwilioError>,
    hang_for: Duration,
    format: Format,
) -> Response {
    if fault.process && fault.kind != FaultKind::TooManyRequests {
        let _ = run();
    }
    match fault.kind {
        FaultKind::TooManyRequests => {
            let mut response = error_response(TwilioError::too_many_requests(), format);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(fault.retry_after));
            response
        }
        FaultKind::Internal => error_response(TwilioError::internal(), format),
        FaultKind::Unavailable => error_response(TwilioError::unavailable(), format),
        FaultKind::Hang => {
            tokio::time::sleep(hang_for).await;
            server::drop_connection()
        }
        FaultKind::Close => server::drop_connection(),
    }
}

fn pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input).into_owned().collect()
}

fn render(result: Result<Reply, TwilioError>, format: Format) -> Response {
    let reply = match result {
        Ok(reply) => reply,
        Err(error) => return error_response(error, format),
    };
    let Some(payload) = reply.payload else {
        return reply.status.into_response();
    };
    let rendered = match format {
        Format::Json => json(&payload),
        Format::Xml => {
            serde_json::to_value(PayloadRef(&payload)).map(|value| xml_payload(&payload, &value))
        }
    };
    match rendered {
        Ok(body) => body_response(reply.status, format, body),
        Err(_) => error_response(TwilioError::internal(), format),
    }
}

fn json(payload: &Payload) -> Result<String, serde_json::Error> {
    serde_json::to_string(&PayloadRef(payload))
}

fn xml_payload(payload: &Payload, value: &serde_json::Value) -> String {
    match payload {
        Payload::Message(_) => xml::document("Message", value),
        Payload::Account(_) => xml::document("Account", value),
        Payload::Service(_) => xml::document("Service", value),
        Payload::Page(page) => match page.items {
            Items::Messages(_) => xml::page_document("Messages", "Message", "messages", value),
            Items::IncomingPhoneNumbers(_) => xml::page_document(
                "IncomingPhoneNumbers",
                "IncomingPhoneNumber",
                "incoming_phone_numbers",
                value,
            ),
        },
    }
}

/// Serializes whichever payload without an enum tag.
struct PayloadRef<'a>(&'a Payload);

impl serde::Serialize for PayloadRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Payload::Message(message) => message.serialize(serializer),
            Payload::Account(account) => account.serialize(serializer),
            Payload::Page(page) => page.serialize(serializer),
            Payload::Service(service) => service.serialize(serializer),
        }
    }
}

fn body_response(status: StatusCode, format: Format, body: String) -> Response {
    let content_type = match format {
        Format::Json => "application/json; charset=utf-8",
        Format::Xml => "application/xml; charset=utf-8",
    };
    (status, [(CONTENT_TYPE, content_type)], body).into_response()
}

/// Twilio's error body; 401s carry `WWW-Authenticate: Basic realm="Twilio API"`.
pub(crate) fn error_response(error: TwilioError, format: Format) -> Response {
    let status = error.http_status();
    let body = match format {
        Format::Json => serde_json::to_string(&error).unwrap_or_default(),
        Format::Xml => xml::document(
            "RestException",
            &serde_json::json!({"code": error.code, "message": error.message, "more_info": error.more_info, "status": error.status}),
        ),
    };
    let mut response = body_response(status, format, body);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
    }
    response
}
