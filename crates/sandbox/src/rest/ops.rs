//! The operations themselves, once the pipeline has authenticated and permitted the call.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;

use super::route::{Operation, Resource, Route};
use super::{Payload, Reply};
use crate::accounts::{Account, AccountStatus, AccountType};
use crate::app::App;
use crate::auth::{Credential, Principal};
use crate::dates::rfc2822;
use crate::errors::TwilioError;
use crate::messages::{CreateRequest, ListFilter, Message, Status, validate_live, validate_test};
use crate::paging::{PageRequest, links, window};
use crate::scenarios::{self, Outcome};
use crate::wire::{AccountOut, Items, PageOut, ServiceOut};
use crate::{ids, numbers, segments};

/// Everything an operation may read about the call.
pub(crate) struct Request<'a> {
    pub app: &'a Arc<App>,
    pub principal: &'a Principal,
    pub route: &'a Route,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub form: &'a [(String, String)],
}

pub(crate) fn run(operation: Operation, request: &Request<'_>) -> Result<Reply, TwilioError> {
    match operation {
        Operation::FetchAccount => Ok(ok(Payload::Account(account_out(
            &request.principal.account,
        )))),
        Operation::ListIncomingPhoneNumbers => list_numbers(request),
        Operation::CreateMessage => create_message(request),
        Operation::ListMessages => list_messages(request),
        Operation::FetchMessage => {
            let log = request.principal.account.messages.lock();
            let message = log
                .get(message_sid(request))
                .ok_or_else(|| TwilioError::not_found(request.path))?;
            Ok(ok(Payload::Message(message.to_wire())))
        }
        Operation::DeleteMessage => {
            let removed = request
                .principal
                .account
                .messages
                .lock()
                .remove(message_sid(request));
            if !removed {
                return Err(TwilioError::not_found(request.path));
            }
            Ok(Reply {
                status: StatusCode::NO_CONTENT,
                payload: None,
            })
        }
    }
}

fn ok(payload: Payload) -> Reply {
    Reply {
        status: StatusCode::OK,
        payload: Some(payload),
    }
}

fn message_sid<'a>(request: &'a Request<'_>) -> &'a str {
    match &request.route.resource {
        Resource::Message(sid) => sid,
        _ => "",
    }
}

fn account_out(account: &Account) -> AccountOut {
    let profile = account.profile.read();
    let base = format!("/2010-04-01/Accounts/{}", account.sid);
    let subresource_uris: BTreeMap<&'static str, String> = [
        ("messages", "Messages.json"),
        ("incoming_phone_numbers", "IncomingPhoneNumbers.json"),
        ("balance", "Balance.json"),
        ("keys", "Keys.json"),
        ("calls", "Calls.json"),
        ("usage", "Usage.json"),
    ]
    .into_iter()
    .map(|(name, file)| (name, format!("{base}/{file}")))
    .collect();
    AccountOut {
        auth_token: account.auth_token().to_owned(),
        date_created: rfc2822(account.date_created),
        date_updated: rfc2822(profile.date_updated),
        friendly_name: profile.friendly_name.clone(),
        owner_account_sid: account.sid.clone(),
        sid: account.sid.clone(),
        status: match profile.status {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        },
        subresource_uris,
        kind: match profile.kind {
            AccountType::Trial => "Trial",
            AccountType::Full => "Full",
        },
        uri: format!("{base}.json"),
    }
}

fn create_message(request: &Request<'_>) -> Result<Reply, TwilioError> {
    let create = CreateRequest::parse(request.form);
    let account = &request.principal.account;
    let now = Utc::now();
    if request.principal.credential == Credential::Test {
        // Validated like a live request, answered like one, but nothing is stored or sent.
        let accepted = validate_test(&create)?;
        let message = Message {
            seq: 0,
            sid: ids::sid("SM"),
            account_sid: account.test_sid.clone(),
            segments: segments::count(&accepted.body),
            sender: accepted.sender,
            to: accepted.to,
            body: accepted.body,
            messaging_service_sid: None,
            status: Status::Queued,
            error: None,
            date_created: now,
            date_updated: now,
            priced: false,
            status_callback: None,
            outcome: Outcome::Delivered,
        };
        return Ok(Reply {
            status: StatusCode::CREATED,
            payload: Some(Payload::Message(message.to_wire())),
        });
    }
    let accepted = validate_live(&create, &account.profile.read())?;
    let (seq, sid) = account.next_message_id();
    let message = Message {
        seq,
        sid,
        account_sid: account.sid.clone(),
        segments: segments::count(&accepted.body),
        outcome: scenarios::outcome(&accepted.to),
        sender: accepted.sender,
        to: accepted.to,
        body: accepted.body,
        status: if accepted.messaging_service_sid.is_some() {
            Status::Accepted
        } else {
            Status::Queued
        },
        messaging_service_sid: accepted.messaging_service_sid,
        error: None,
        date_created: now,
        date_updated: now,
        priced: false,
        status_callback: accepted.status_callback,
    };
    let wire = message.to_wire();
    account.messages.lock().insert(message);
    request.app.lifecycle.schedule(Arc::clone(account), seq);
    Ok(Reply {
        status: StatusCode::CREATED,
        payload: Some(Payload::Message(wire)),
    })
}

/// Twilio's page tokens: `PA` + the last item's SID to go on, `PB` + the first one's to go back.
fn page_tokens<T, S: std::fmt::Display + ?Sized>(
    has_next: bool,
    has_previous: bool,
    items: &[T],
    sid: impl Fn(&T) -> &S,
) -> (Option<String>, Option<String>) {
    let next = items
        .last()
        .filter(|_| has_next)
        .map(|i| format!("PA{}", sid(i)));
    let previous = items
        .first()
        .filter(|_| has_previous)
        .map(|i| format!("PB{}", sid(i)));
    (next, previous)
}

fn list_messages(request: &Request<'_>) -> Result<Reply, TwilioError> {
    let filter = ListFilter::parse(request.query)?;
    let paging = PageRequest::parse(request.query)?;
    let log = request.principal.account.messages.lock();
    let matching: Vec<&Message> = log.newest_first().filter(|m| filter.matches(m)).collect();
    let page = window(&matching, |m| m.seq, true, &paging);
    let items: Vec<_> = page.items.iter().map(|m| m.to_wire()).collect();
    let (next, previous) = page_tokens(page.has_next, page.has_previous, page.items, |m| &m.sid);
    drop(log);
    let links = links(
        list_path(request),
        &filter.as_query(),
        &paging,
        items.len(),
        next,
        previous,
    );
    Ok(ok(Payload::Page(PageOut::new(
        links,
        Items::Messages(items),
    ))))
}

fn list_numbers(request: &Request<'_>) -> Result<Reply, TwilioError> {
    let paging = PageRequest::parse(request.query)?;
    let pattern = request
        .query
        .iter()
        .find(|(name, _)| name == "PhoneNumber")
        .map(|(_, value)| value.clone());
    let account = &request.principal.account;
    let profile = account.profile.read();
    let matching: Vec<_> = profile
        .numbers
        .iter()
        .filter(|n| {
            pattern
                .as_deref()
                .is_none_or(|p| numbers::matches(&n.phone_number, p))
        })
        .collect();
    let page = window(
        &matching,
        |n| ids::seq_of(&n.sid).unwrap_or_default(),
        false,
        &paging,
    );
    let items: Vec<_> = page
        .items
        .iter()
        .map(|n| numbers::to_wire(&account.sid, n))
        .collect();
    let (next, previous) = page_tokens(page.has_next, page.has_previous, page.items, |n| &n.sid);
    drop(profile);
    let filters: Vec<(&str, String)> = pattern.into_iter().map(|p| ("PhoneNumber", p)).collect();
    let links = links(
        list_path(request),
        &filters,
        &paging,
        items.len(),
        next,
        previous,
    );
    Ok(ok(Payload::Page(PageOut::new(
        links,
        Items::IncomingPhoneNumbers(items),
    ))))
}

/// The list path as asked for, which the envelope URIs echo.
fn list_path<'a>(request: &'a Request<'_>) -> &'a str {
    request.path
}

/// `GET /v1/Services/{sid}` for the authenticated account; another account's service is 404.
pub(crate) fn fetch_service(principal: &Principal, sid: &str) -> Result<Reply, TwilioError> {
    let profile = principal.account.profile.read();
    let service = profile
        .service(sid)
        .ok_or_else(|| TwilioError::not_found(&format!("/Services/{sid}")))?;
    let url = format!("https://messaging.twilio.com/v1/Services/{sid}");
    let links = [
        ("phone_numbers", "PhoneNumbers"),
        ("short_codes", "ShortCodes"),
        ("alpha_senders", "AlphaSenders"),
    ]
    .into_iter()
    .map(|(name, part)| (name, format!("{url}/{part}")))
    .collect();
    let date_created = service
        .date_created
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(ok(Payload::Service(ServiceOut {
        sid: service.sid.clone(),
        account_sid: principal.account.sid.clone(),
        friendly_name: service.friendly_name.clone(),
        date_updated: date_created.clone(),
        date_created,
        inbound_request_url: None,
        status_callback: None,
        use_inbound_webhook_on_number: false,
        url,
        links,
    })))
}
