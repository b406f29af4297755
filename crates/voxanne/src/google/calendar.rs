//! The calendar-level Calendar API v3 calls: list the clinic's calendars and check that the
//! primary calendar takes bookings. Events are in `events.rs`, free/busy in `free_busy.rs`.
//! These two are tried once: the connection's verification schedules its own retries.

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::api::{MAX_REQUEST_TIME, send};
use super::{Error, GoogleClient};

/// One page of `users/me/calendarList`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListPage {
    #[serde(default)]
    pub items: Vec<CalendarListEntry>,
    pub next_page_token: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListEntry {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    pub time_zone: Option<String>,
    /// `owner`, `writer`, `reader` or `freeBusyReader`.
    pub access_role: String,
    #[serde(default)]
    pub primary: bool,
}

/// What the writability probe learnt about the primary calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryCalendar {
    /// The calendar's name (Google names a primary calendar after the account's email).
    pub summary: String,
    pub time_zone: Option<String>,
    pub access_role: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventsProbe {
    #[serde(default)]
    summary: String,
    time_zone: Option<String>,
    access_role: String,
}

impl GoogleClient {
    /// One page of the clinic's calendars (`maxResults` up to 250). Needs the calendar-list scope.
    pub async fn calendar_list(
        &self,
        access_token: &SecretString,
        max_results: u32,
        page_token: Option<&str>,
    ) -> Result<CalendarListPage, Error> {
        let mut query = vec![("maxResults", max_results.clamp(1, 250).to_string())];
        if let Some(token) = page_token {
            query.push(("pageToken", token.to_owned()));
        }
        let request = self
            .api(
                Method::GET,
                "users/me/calendarList",
                access_token,
                MAX_REQUEST_TIME,
            )?
            .query(&query);
        send(request).await
    }

    /// Checks that the primary calendar takes bookings without writing anything: `events.list`
    /// needs only the events scope (unlike `calendarList`), and its `accessRole` tells whether
    /// this account may write there. Inserting and deleting a probe event would prove the same
    /// but leave traces in the clinic's calendar and its notification feeds.
    pub async fn probe_primary_writable(
        &self,
        access_token: &SecretString,
    ) -> Result<PrimaryCalendar, Error> {
        let request = self
            .api(
                Method::GET,
                "calendars/primary/events",
                access_token,
                MAX_REQUEST_TIME,
            )?
            .query(&[("maxResults", "1")]);
        let probe: EventsProbe = send(request).await?;
        if probe.access_role != "owner" && probe.access_role != "writer" {
            return Err(Error::NotWritable {
                access_role: probe.access_role,
            });
        }
        Ok(PrimaryCalendar {
            summary: probe.summary,
            time_zone: probe.time_zone,
            access_role: probe.access_role,
        })
    }
}
