//! Events of one calendar: insert, get, delete and list (one page, or all pages). Inserts carry
//! `extendedProperties.private`, so a booking whose answer was lost can be found again with
//! `privateExtendedProperty` before anything is written twice.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::api::{exchange, segment, send};
use super::retry::Repeat;
use super::{Error, GoogleClient};

/// `extendedProperties`: string pairs only this app (`private`) or every attendee (`shared`) sees.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExtendedProperties {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub private: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shared: BTreeMap<String, String>,
}

/// An event to book, in the Calendar API's shape (`start`/`end` with `dateTime` + `timeZone`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    /// An id of our choosing (base32hex `0-9a-v`, 5–1024 chars); Google answers 409 duplicate
    /// when the calendar already has it. `None` lets Google pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub start: EventTime,
    pub end: EventTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_properties: Option<ExtendedProperties>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    /// RFC 3339 with an offset, e.g. `2026-12-01T09:00:00+01:00`.
    pub date_time: String,
    /// The IANA zone the event belongs to (Google shows it, and uses it for recurrences).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// A `start`/`end` as Google returns it: a `dateTime` (timed event) or a `date` (all day).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventWhen {
    pub date_time: Option<DateTime<FixedOffset>>,
    pub date: Option<NaiveDate>,
    pub time_zone: Option<String>,
}

/// An event as Google returns it. A deleted event (`status: "cancelled"`, from `get` or a list
/// with `show_deleted`) may carry little more than its id and status.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    /// `confirmed`, `tentative` or `cancelled`.
    pub status: Option<String>,
    pub html_link: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub start: Option<EventWhen>,
    pub end: Option<EventWhen>,
    /// `transparent` when the event does not block time ("show as available").
    pub transparency: Option<String>,
    #[serde(default)]
    pub extended_properties: ExtendedProperties,
}

impl Event {
    pub fn is_cancelled(&self) -> bool {
        self.status.as_deref() == Some("cancelled")
    }

    /// A private extended property of this event.
    pub fn private_property(&self, key: &str) -> Option<&str> {
        self.extended_properties
            .private
            .get(key)
            .map(String::as_str)
    }
}

/// The query of `events.list`.
#[derive(Clone, Debug, Default)]
pub struct ListEvents {
    /// Only events ending after this instant.
    pub time_min: Option<DateTime<FixedOffset>>,
    /// Only events starting before this instant.
    pub time_max: Option<DateTime<FixedOffset>>,
    /// Only events whose `extendedProperties.private[key] == value`.
    pub private_property: Option<(String, String)>,
    /// Expand recurring events into instances; also orders the result by start time.
    pub single_events: bool,
    /// Include deleted (`cancelled`) events.
    pub show_deleted: bool,
    /// Page size (Google: default 250, at most 2500).
    pub max_results: Option<u32>,
    pub page_token: Option<String>,
}

impl ListEvents {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(min) = self.time_min {
            query.push(("timeMin", min.to_rfc3339()));
        }
        if let Some(max) = self.time_max {
            query.push(("timeMax", max.to_rfc3339()));
        }
        if let Some((key, value)) = &self.private_property {
            query.push(("privateExtendedProperty", format!("{key}={value}")));
        }
        if self.single_events {
            query.push(("singleEvents", "true".into()));
            query.push(("orderBy", "startTime".into()));
        }
        if self.show_deleted {
            query.push(("showDeleted", "true".into()));
        }
        if let Some(size) = self.max_results {
            query.push(("maxResults", size.clamp(1, 2500).to_string()));
        }
        if let Some(token) = &self.page_token {
            query.push(("pageToken", token.clone()));
        }
        query
    }
}

/// One page of `events.list`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(default)]
    pub items: Vec<Event>,
    pub next_page_token: Option<String>,
    /// The calendar's time zone.
    pub time_zone: Option<String>,
    /// The caller's role on the calendar: `owner`, `writer`, `reader` or `freeBusyReader`.
    pub access_role: Option<String>,
}

/// How a delete ended; both mean the event no longer blocks time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// Google answered 404 or 410: deleted before (perhaps by an earlier try whose answer was
    /// lost), or never there.
    AlreadyGone,
}

/// `list_all_events` stops after this many pages rather than follow a runaway page chain.
const MAX_PAGES: usize = 100;

fn events_path(calendar_id: &str) -> String {
    format!("calendars/{}/events", segment(calendar_id))
}

fn event_path(calendar_id: &str, event_id: &str) -> String {
    format!("{}/{}", events_path(calendar_id), segment(event_id))
}

impl GoogleClient {
    /// Books `event` into `calendar_id` (`primary` for the account's main calendar). Repeated
    /// only when Google provably did nothing (rate limit, no connection); after a 5xx or a lost
    /// answer ([`Error::outcome_unknown`]) the caller must look before booking again.
    pub async fn insert_event(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        event: &NewEvent,
    ) -> Result<Event, Error> {
        let path = &events_path(calendar_id);
        let retry = &self.calendar_retry;
        retry
            .run(Repeat::OnlyIfRefused, |left| async move {
                let request = self.api(Method::POST, path, access_token, left)?;
                send(request.json(event)).await
            })
            .await
    }

    /// One event, deleted ones included (`status: "cancelled"`); [`Error::NotFound`] if unknown.
    pub async fn get_event(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        event_id: &str,
    ) -> Result<Event, Error> {
        let path = &event_path(calendar_id, event_id);
        self.calendar_retry
            .run(Repeat::Safe, |left| async move {
                send(self.api(Method::GET, path, access_token, left)?).await
            })
            .await
    }

    /// Deletes an event. Already deleted or unknown is [`Deletion::AlreadyGone`], not an error,
    /// so a delete repeated after a lost answer ends the same way.
    pub async fn delete_event(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        event_id: &str,
    ) -> Result<Deletion, Error> {
        let path = &event_path(calendar_id, event_id);
        let result = self
            .calendar_retry
            .run(Repeat::Safe, |left| async move {
                exchange(self.api(Method::DELETE, path, access_token, left)?).await
            })
            .await;
        match result {
            Ok(_) => Ok(Deletion::Deleted),
            Err(Error::NotFound | Error::Deleted) => Ok(Deletion::AlreadyGone),
            Err(error) => Err(error),
        }
    }

    /// One page of `events.list`.
    pub async fn list_events(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        list: &ListEvents,
    ) -> Result<EventsPage, Error> {
        let path = events_path(calendar_id);
        let query = list.query();
        let (path, query) = (&path, &query);
        self.calendar_retry
            .run(Repeat::Safe, |left| async move {
                send(
                    self.api(Method::GET, path, access_token, left)?
                        .query(query),
                )
                .await
            })
            .await
    }

    /// Every event matching `list`, following `nextPageToken` (starting from `list.page_token`).
    pub async fn list_all_events(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        list: &ListEvents,
    ) -> Result<Vec<Event>, Error> {
        let mut list = list.clone();
        let mut events = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.list_events(access_token, calendar_id, &list).await?;
            events.extend(page.items);
            match page.next_page_token {
                Some(token) => list.page_token = Some(token),
                None => return Ok(events),
            }
        }
        Err(Error::unexpected(format!(
            "events.list kept offering pages after {MAX_PAGES}"
        )))
    }
}
