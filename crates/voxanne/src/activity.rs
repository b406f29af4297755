//! The audit log as a use case: record who changed what, and read it back.
//!
//! Every change to credentials, settings, API keys and admins is recorded by the use case that
//! makes it, whichever front door called it (dashboard, JSON API, CLI): the [`Caller`] says who
//! (an admin's e-mail, an API key's name, or "CLI") and from which address. Entries name objects
//! by label, id or e-mail, never by a secret.

use std::net::IpAddr;

use crate::ids::OrgId;
pub use crate::store::{ActorKind, AuditAction, AuditRecord};
use crate::store::{NewAuditRecord, Store, StoreError};
use crate::tenant::{Actor, Caller};

/// Most entries one page of the log shows.
pub const MAX_PAGE: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("the audit log could not be read or written")]
    Store(#[from] StoreError),
}

/// How the log names the caller: the admin's e-mail, the API key's name (its id if unnamed or
/// gone), or "CLI".
pub async fn actor_name(store: &Store, caller: &Caller) -> (ActorKind, String) {
    match caller.actor() {
        Actor::Admin { email, .. } => (ActorKind::Admin, email.clone()),
        Actor::ApiKey(key) => {
            let name = match store.get_api_key(caller.org(), key).await {
                Ok(record) if !record.name.is_empty() => record.name,
                _ => key.to_string(),
            };
            (ActorKind::ApiKey, name)
        }
        Actor::Cli => (ActorKind::Cli, "CLI".to_owned()),
    }
}

/// Records that `caller` did `action` to `object` in their organization, now.
pub async fn record(
    store: &Store,
    caller: &Caller,
    action: AuditAction,
    object: &str,
) -> Result<(), ActivityError> {
    let (actor_kind, actor) = actor_name(store, caller).await;
    let by = Recorded {
        org: caller.org(),
        actor_kind,
        actor: &actor,
        source_ip: caller.source_ip(),
    };
    record_as(store, by, action, object).await
}

/// Who an entry names when no [`Caller`] is at hand: a change finished by a request that carries
/// no credentials of ours (Google's consent page sending the browser back), on behalf of whoever
/// started it.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub org: &'a OrgId,
    pub actor_kind: ActorKind,
    pub actor: &'a str,
    pub source_ip: Option<IpAddr>,
}

/// Records that `by` did `action` to `object`, now.
pub async fn record_as(
    store: &Store,
    by: Recorded<'_>,
    action: AuditAction,
    object: &str,
) -> Result<(), ActivityError> {
    let source_ip = by.source_ip.map(|ip| ip.to_string());
    store
        .append_audit(
            by.org,
            NewAuditRecord {
                at: crate::store::backend::now(),
                actor_kind: by.actor_kind,
                actor: by.actor,
                action,
                object,
                source_ip: source_ip.as_deref(),
            },
        )
        .await?;
    tracing::info!(org_id = %by.org, action = %action, "audit entry recorded");
    Ok(())
}

/// Which entries to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub action: Option<AuditAction>,
    /// Entries older than this cursor (a previous page's `next`).
    pub before: Option<i64>,
    /// Page size, clamped to 1..=[`MAX_PAGE`]; 0 means 50.
    pub limit: u32,
}

/// One page of the log, newest first, and the cursor of the next (older) page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    pub next: Option<i64>,
}

pub async fn list(
    store: &Store,
    caller: &Caller,
    query: AuditQuery,
) -> Result<AuditPage, ActivityError> {
    let limit = match query.limit {
        0 => 50,
        n => n.min(MAX_PAGE),
    };
    // One more than asked tells whether an older page exists.
    let mut entries = store
        .list_audit(caller.org(), query.action, query.before, limit + 1)
        .await?;
    let next = if entries.len() > limit as usize {
        entries.truncate(limit as usize);
        entries.last().map(|entry| entry.seq)
    } else {
        None
    };
    Ok(AuditPage { entries, next })
}

/// The log as CSV (RFC 4180), with a header line. Cells that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) are prefixed with `'`.
pub fn to_csv(entries: &[AuditRecord]) -> String {
    let mut out = String::from("time,actor,actor_kind,action,object,source_ip\r\n");
    for entry in entries {
        let cells = [
            entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            entry.actor.clone(),
            entry.actor_kind.to_string(),
            entry.action.to_string(),
            entry.object.clone(),
            entry.source_ip.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn entry(actor: &str, object: &str) -> AuditRecord {
        AuditRecord {
            seq: 1,
            at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_kind: ActorKind::Admin,
            actor: actor.to_owned(),
            action: AuditAction::AdminAdded,
            object: object.to_owned(),
            source_ip: Some("127.0.0.1".to_owned()),
        }
    }

    #[test]
    fn csv_quotes_commas_and_quotes_and_defuses_formulas() {
        let csv = to_csv(&[
            entry("a@clinic.example", "Front \"desk\", 2"),
            entry("=cmd", "-1"),
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time,actor,actor_kind,action,object,source_ip");
        assert_eq!(
            lines[1],
            "2026-01-02T03:04:05Z,a@clinic.example,admin,admin.added,\"Front \"\"desk\"\", 2\",127.0.0.1"
        );
        assert_eq!(
            lines[2],
            "2026-01-02T03:04:05Z,'=cmd,admin,admin.added,'-1,127.0.0.1"
        );
    }
}
