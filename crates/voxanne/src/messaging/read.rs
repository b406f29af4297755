//! Reading messages: one with its timeline, or a page of them, newest first.

use chrono::DateTime;

use super::ReadError;
use crate::field::{FieldError, page_limit};
use crate::ids::MessageId;
use crate::outbox::{EventRecord, ListFilter, MessageRecord, MessageStatus};
use crate::phone::PhoneNumber;
use crate::services::Services;
use crate::tenant::Caller;

fn unexpected(err: crate::outbox::OutboxError, doing: &'static str) -> ReadError {
    if err.is_outage() {
        return ReadError::Unavailable(err);
    }
    ReadError::Unexpected(anyhow::Error::new(err).context(doing))
}

/// Which messages to list, as given (each is checked and named when wrong).
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    /// A status, e.g. `delivered`.
    pub status: Option<String>,
    /// Only messages to this number (E.164).
    pub to: Option<String>,
    /// Only messages created at or after this RFC 3339 time.
    pub since: Option<String>,
    /// 1 to 100; default 50.
    pub limit: Option<u32>,
    /// Where the previous page ended ([`Page::next_cursor`]).
    pub cursor: Option<String>,
}

/// A page of messages, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<MessageRecord>,
    /// Pass it as [`MessageQuery::cursor`] to read the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// One message with its timeline; another organization's (or a malformed id) is not found.
pub async fn get(
    services: &Services,
    caller: &Caller,
    id: &str,
) -> Result<(MessageRecord, Vec<EventRecord>), ReadError> {
    let Ok(id) = MessageId::parse(id) else {
        return Err(ReadError::NotFound);
    };
    let org = caller.org();
    let delivery = &services.delivery;
    let Some(message) = delivery
        .outbox()
        .get(org.as_str(), id.as_str())
        .await
        .map_err(|e| unexpected(e, "reading a message"))?
    else {
        return Err(ReadError::NotFound);
    };
    let events = delivery
        .outbox()
        .events(org.as_str(), id.as_str())
        .await
        .map_err(|e| unexpected(e, "reading a timeline"))?;
    Ok((message, events))
}

/// A page of the organization's messages, newest first.
pub async fn list(
    services: &Services,
    caller: &Caller,
    query: MessageQuery,
) -> Result<Page, ReadError> {
    let filter = filter_of(query)?;
    let page = services
        .delivery
        .outbox()
        .list(caller.org().as_str(), &filter)
        .await
        .map_err(|e| unexpected(e, "listing messages"))?;
    Ok(Page {
        messages: page.messages,
        next_cursor: page.next.map(|(at, id)| format!("{at}.{id}")),
    })
}

fn filter_of(query: MessageQuery) -> Result<ListFilter, ReadError> {
    // A filter given empty (`?status=`) filters nothing, as if it were left out.
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let query = MessageQuery {
        status: given(query.status),
        to: given(query.to),
        since: given(query.since),
        cursor: given(query.cursor),
        ..query
    };
    let status = query
        .status
        .as_deref()
        .map(|raw| {
            raw.parse::<MessageStatus>()
                .map_err(|err| FieldError::new("invalid_status", "status", err.to_string()))
        })
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|raw| PhoneNumber::parse("to", raw))
        .transpose()?;
    let since = query
        .since
        .as_deref()
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|at| at.timestamp_millis())
                .map_err(|_| {
                    FieldError::new(
                        "invalid_since",
                        "since",
                        format!("{raw:?} is not an RFC 3339 time"),
                    )
                    .with_hint("Use e.g. 2026-11-24T18:00:00Z.")
                })
        })
        .transpose()?;
    let limit = page_limit(query.limit)?;
    let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
    Ok(ListFilter {
        status,
        to: to.map(|p| p.as_str().to_owned()),
        since,
        after,
        limit,
    })
}

fn parse_cursor(raw: &str) -> Result<(i64, String), FieldError> {
    let invalid = || {
        FieldError::new(
            "invalid_cursor",
            "cursor",
            "the cursor is not one this API returned",
        )
        .with_hint("Pass next_cursor from the previous page unchanged.")
    };
    // `{created_at ms}.{message id}`: a position in the list, readable and exactly described by
    // the OpenAPI document's pattern (1 to 18 digits, a dot, a message id).
    let (at, id) = raw.split_once('.').ok_or_else(invalid)?;
    if at.is_empty() || at.len() > 18 || !at.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let at = at.parse::<i64>().map_err(|_| invalid())?;
    let id = MessageId::parse(id).map_err(|_| invalid())?;
    Ok((at, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        let id = MessageId::generate();
        let cursor = format!("1700000000000.{id}");
        assert_eq!(
            parse_cursor(&cursor).unwrap(),
            (1_700_000_000_000, id.to_string())
        );
        for forged in [
            "bm90IGEgY3Vyc29y",
            "-5.{id}",
            "+5.{id}",
            ".{id}",
            "1700000000000.msg_x",
        ] {
            let forged = forged.replace("{id}", id.as_str());
            assert!(parse_cursor(&forged).is_err(), "{forged}");
        }
    }

    #[test]
    fn an_empty_filter_filters_nothing() {
        let filter = filter_of(MessageQuery {
            status: Some(String::new()),
            to: Some(" ".to_owned()),
            since: Some(String::new()),
            cursor: Some(String::new()),
            ..MessageQuery::default()
        })
        .unwrap();
        assert!(filter.status.is_none() && filter.to.is_none());
        assert!(filter.since.is_none() && filter.after.is_none());
    }

    #[test]
    fn a_limit_out_of_range_names_the_field() {
        let err = filter_of(MessageQuery {
            limit: Some(0),
            ..MessageQuery::default()
        })
        .unwrap_err();
        assert!(matches!(err, ReadError::Invalid(f) if f.field == "limit"));
    }
}
