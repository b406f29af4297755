//! `/dashboard/audit`: the audit log, filtered by action, paged, and exported as CSV. The log
//! itself is [`crate::activity`].

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::Dashboard;
use super::render::{self, Nav, Section, when};
use super::session::Admin;
use crate::activity::{self, AuditAction, AuditQuery};

/// Entries per page.
const PAGE: u32 = 50;
/// Most entries one CSV export holds.
const CSV_MAX: usize = 50_000;

pub fn router() -> Router<Dashboard> {
    Router::new()
        .route("/dashboard/audit", get(show))
        .route("/dashboard/audit.csv", get(export))
}

#[derive(Deserialize)]
struct Filter {
    #[serde(default)]
    action: String,
    before: Option<i64>,
}

impl Filter {
    /// The chosen action; an unknown one shows nothing rather than everything.
    fn action(&self) -> Result<Option<AuditAction>, ()> {
        match self.action.as_str() {
            "" => Ok(None),
            text => AuditAction::parse(text).map(Some).map_err(|_| ()),
        }
    }
}

struct EntryRow {
    time: String,
    actor: String,
    action: String,
    object: String,
    source_ip: String,
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    nav: Nav,
    actions: Vec<&'static str>,
    selected: String,
    entries: Vec<EntryRow>,
    older: Option<String>,
    csv_query: String,
}

fn query_string(action: &str) -> String {
    if action.is_empty() {
        String::new()
    } else {
        format!(
            "?action={}",
            url::form_urlencoded::byte_serialize(action.as_bytes()).collect::<String>()
        )
    }
}

async fn show(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(filter): Query<Filter>,
) -> Response {
    let (entries, next) = match filter.action() {
        Err(()) => (Vec::new(), None),
        Ok(action) => {
            let query = AuditQuery {
                action,
                before: filter.before,
                limit: PAGE,
            };
            match activity::list(state.store(), &admin.caller, query).await {
                Ok(page) => (page.entries, page.next),
                Err(err) => return render::internal_error(&err),
            }
        }
    };
    let base = query_string(&filter.action);
    let older = next.map(|seq| {
        let joiner = if base.is_empty() { '?' } else { '&' };
        format!("/dashboard/audit{base}{joiner}before={seq}")
    });
    let page = AuditPage {
        nav: Nav::new(&admin, Section::Audit),
        actions: AuditAction::ALL
            .iter()
            .map(|action| action.as_str())
            .collect(),
        selected: filter.action.clone(),
        entries: entries
            .iter()
            .map(|entry| EntryRow {
                time: when(&entry.at),
                actor: entry.actor.clone(),
                action: entry.action.to_string(),
                object: entry.object.clone(),
                source_ip: entry.source_ip.clone().unwrap_or_default(),
            })
            .collect(),
        older,
        csv_query: base,
    };
    render::page(StatusCode::OK, &page)
}

async fn export(
    State(state): State<Dashboard>,
    admin: Admin,
    Query(filter): Query<Filter>,
) -> Response {
    let mut entries = Vec::new();
    if let Ok(action) = filter.action() {
        let mut before = None;
        loop {
            let query = AuditQuery {
                action,
                before,
                limit: activity::MAX_PAGE,
            };
            let page = match activity::list(state.store(), &admin.caller, query).await {
                Ok(page) => page,
                Err(err) => return render::internal_error(&err),
            };
            entries.extend(page.entries);
            match page.next {
                Some(next) if entries.len() < CSV_MAX => before = Some(next),
                _ => break,
            }
        }
    }
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        activity::to_csv(&entries),
    )
        .into_response()
}
