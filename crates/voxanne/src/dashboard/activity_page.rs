//! `/dashboard/activity`: recent messages, newest first, with live status and the plain-words
//! reason of failures, a filter by status, and each message's timeline. Reads go through the
//! messaging use case.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Dashboard;
use super::overview::Badge;
use super::render::{self, Nav, Section};
use super::session::Admin;
use crate::messaging::{self, MessageQuery, ReadError};
use crate::outbox::{EventRecord, MessageKind, MessageRecord, MessageStatus};

/// Messages per page.
const PAGE: u32 = 50;
const STATUSES: [&str; 6] = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
];

pub struct MessageRow {
    id: String,
    time: String,
    to: String,
    kind: &'static str,
    badge: Badge,
    reason: String,
    flagged: bool,
}

pub fn status_badge(status: MessageStatus) -> Badge {
    let (class, icon) = match status {
        MessageStatus::Delivered | MessageStatus::Read => ("ok", "✓"),
        MessageStatus::Failed | MessageStatus::Undelivered => ("bad", "✕"),
        MessageStatus::Canceled => ("off", "⊘"),
        _ => ("warn", "…"),
    };
    Badge {
        class,
        icon,
        words: status.as_str(),
    }
}

fn at_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn row(message: &MessageRecord) -> MessageRow {
    MessageRow {
        id: message.id.clone(),
        time: at_ms(message.created_at),
        to: message.to.clone(),
        kind: match message.kind {
            MessageKind::Sms => "text",
            MessageKind::HotLead => "hot-lead alert",
        },
        badge: status_badge(message.status),
        reason: message.reason.clone().unwrap_or_default(),
        flagged: message.needs_attention,
    }
}

#[derive(Template)]
#[template(path = "dashboard/activity_table.html")]
struct Table {
    poll: String,
    status: String,
    messages: Vec<MessageRow>,
}

#[derive(Template)]
#[template(path = "dashboard/activity.html")]
struct ActivityPage {
    nav: Nav,
    statuses: [&'static str; 6],
    status: String,
    table: String,
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

fn query_of(filter: &Filter) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    if !filter.status.is_empty() {
        pairs.append_pair("status", &filter.status);
    }
    if !filter.cursor.is_empty() {
        pairs.append_pair("cursor", &filter.cursor);
    }
    let query = pairs.finish();
    if query.is_empty() {
        query
    } else {
        format!("?{query}")
    }
}

/// The messages the filter names (none for an unknown status: the filter is ours).
async fn table(
    state: &Dashboard,
    admin: &Admin,
    filter: &Filter,
) -> Result<(String, Option<String>), Response> {
    let query = MessageQuery {
        status: (!filter.status.is_empty()).then(|| filter.status.clone()),
        limit: Some(PAGE),
        cursor: (!filter.cursor.is_empty()).then(|| filter.cursor.clone()),
        ..MessageQuery::default()
    };
    let (messages, next) = match messaging::list(&state.services, &admin.caller, query).await {
        Ok(page) => (page.messages, page.next_cursor),
        Err(ReadError::Invalid(_)) => (Vec::new(), None),
        Err(err) => return Err(render::internal_error(&err)),
    };
    let table = Table {
        poll: format!("/dashboard/activity/live{}", query_of(filter)),
        status: filter.status.clone(),
        messages: messages.iter().map(row).collect(),
    };
    let html = table.render().map_err(|err| render::internal_error(&err))?;
    let older = next.map(|cursor| {
        let older = Filter {
            status: filter.status.clone(),
            cursor,
        };
        format!("/dashboard/activity{}", query_of(&older))
    });
    Ok((html, older))
}

pub async fn show(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(filter): Query<Filter>,
) -> Response {
    let (table, older) = match table(&state, &admin, &filter).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let page = ActivityPage {
        nav: Nav::new(&admin, Section::Activity),
        statuses: STATUSES,
        status: filter.status,
        table,
        older,
    };
    render::page(StatusCode::OK, &page)
}

/// The table alone, for the page's script to refresh in place.
pub async fn live(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(filter): Query<Filter>,
) -> Response {
    match table(&state, &admin, &filter).await {
        Ok((table, _)) => Html(table).into_response(),
        Err(response) => response,
    }
}

struct EventRow {
    time: String,
    what: String,
}

fn event_words(event: &EventRecord) -> String {
    let what = match event.kind.as_str() {
        "accepted" => "Accepted and queued".to_owned(),
        "sent_to_twilio" => "Handed to Twilio".to_owned(),
        "status" => format!(
            "Twilio reported \"{}\"",
            event.status.as_deref().unwrap_or("a new status")
        ),
        "retry" => "Twilio was busy: will try again".to_owned(),
        "reconciling" => "Checking with Twilio whether it was sent".to_owned(),
        "adopted" => "Found at Twilio: sent once".to_owned(),
        "failed" => "Failed".to_owned(),
        "needs_attention" => "Flagged for a person".to_owned(),
        other => other.replace('_', " "),
    };
    match (&event.detail, event.twilio_code) {
        (Some(detail), Some(code)) => format!("{what}: {detail} (Twilio error {code})"),
        (Some(detail), None) => format!("{what}: {detail}"),
        (None, Some(code)) => format!("{what} (Twilio error {code})"),
        (None, None) => what,
    }
}

#[derive(Template)]
#[template(path = "dashboard/message.html")]
struct MessagePage {
    nav: Nav,
    message: MessageRow,
    body: String,
    events: Vec<EventRow>,
}

pub async fn message(
    State(state): State<Dashboard>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let (message, events) = match messaging::get(&state.services, &admin.caller, &id).await {
        Ok(found) => found,
        Err(ReadError::NotFound) => return render::not_found(&admin),
        Err(err) => return render::internal_error(&err),
    };
    let page = MessagePage {
        nav: Nav::new(&admin, Section::Activity),
        message: row(&message),
        body: message.body.clone(),
        events: events
            .iter()
            .map(|event| EventRow {
                time: at_ms(event.at),
                what: event_words(event),
            })
            .collect(),
    };
    render::page(StatusCode::OK, &page)
}
