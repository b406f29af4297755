//! The Calendar API v3 calls Voxanne makes with an access token: list the clinic's calendars,
//! check that the primary calendar takes bookings, and book an event.

use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::transport::retry_after;
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

/// An event to book, in the Calendar API's shape (`start`/`end` with `dateTime` + `timeZone`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub start: EventTime,
    pub end: EventTime,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    /// RFC 3339 with an offset, e.g. `2026-12-01T09:00:00+01:00`.
    pub date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The booked event as Google returned it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub status: Option<String>,
    pub html_link: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<ErrorInfo>,
    #[serde(default)]
    errors: Vec<ErrorInfo>,
}

#[derive(Deserialize)]
struct ErrorInfo {
    #[serde(default)]
    reason: String,
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
            .api(Method::GET, "users/me/calendarList", access_token)?
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
            .api(Method::GET, "calendars/primary/events", access_token)?
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

    /// Books `event` into `calendar_id` (`primary` for the account's main calendar).
    pub async fn insert_event(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        event: &NewEvent,
    ) -> Result<Event, Error> {
        let path = format!("calendars/{}/events", urlencode(calendar_id));
        let request = self.api(Method::POST, &path, access_token)?.json(event);
        send(request).await
    }

    fn api(
        &self,
        method: Method,
        path: &str,
        access_token: &SecretString,
    ) -> Result<RequestBuilder, Error> {
        let url = self
            .config
            .api_base
            .join(path)
            .map_err(|source| Error::Config {
                field: "api_base",
                source,
            })?;
        // Reason: the access token goes to the Calendar API as a Bearer credential, its purpose.
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(access_token.expose_secret()))
    }
}

/// Calendar ids are emails (`clinic@example.com`) or `…@group.calendar.google.com`; they
/// go into one path segment.
fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Error> {
    let response = request.send().await.map_err(Error::Network)?;
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|source| Error::UnexpectedResponse {
                detail: "unreadable Calendar API response".into(),
                source: Some(Box::new(source)),
            });
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::Unavailable {
            status: status.as_u16(),
            retry_after: retry_after(response.headers()),
        });
    }
    let body: Option<ErrorBody> = response.json().await.ok();
    let reasons = body
        .as_ref()
        .map(|b| {
            b.error
                .details
                .iter()
                .chain(&b.error.errors)
                .map(|i| i.reason.as_str())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // Google also answers 403 with `rateLimitExceeded`/`userRateLimitExceeded`: those are transient.
    if status == StatusCode::FORBIDDEN && reasons.iter().any(|r| r.ends_with("ateLimitExceeded")) {
        return Err(Error::Unavailable {
            status: status.as_u16(),
            retry_after: None,
        });
    }
    match status {
        StatusCode::UNAUTHORIZED => Err(Error::Unauthenticated),
        StatusCode::FORBIDDEN
            if reasons.iter().any(|r| {
                *r == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || *r == "insufficientPermissions"
            }) =>
        {
            Err(Error::ScopeInsufficient)
        }
        _ => Err(Error::Api {
            status: status.as_u16(),
            message: body
                .map(|b| b.error.message)
                .unwrap_or_else(|| status.to_string()),
        }),
    }
}
