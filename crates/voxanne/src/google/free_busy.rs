//! `freebusy.query` for one calendar: when it is busy between two instants. Google allows it with
//! a free/busy scope (`calendar.events.freebusy`, `calendar.freebusy`) or the broad calendar
//! scopes, not with `calendar.events`: a connection made without one gets
//! [`Error::ScopeInsufficient`] here and can compute busy time from `list_all_events` instead.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api::send;
use super::retry::Repeat;
use super::{Error, GoogleClient};

/// A busy period `[start, end)`; Google merges overlapping events and clips to the query window.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Busy {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

#[derive(Deserialize)]
struct FreeBusyAnswer {
    #[serde(default)]
    calendars: HashMap<String, CalendarBusy>,
}

#[derive(Deserialize)]
struct CalendarBusy {
    #[serde(default)]
    busy: Vec<Busy>,
    #[serde(default)]
    errors: Vec<CalendarError>,
}

#[derive(Deserialize)]
struct CalendarError {
    #[serde(default)]
    reason: String,
}

impl GoogleClient {
    /// The busy periods of `calendar_id` in `[time_min, time_max)`, in order. Cancelled events
    /// and events shown as available are not busy. A calendar this account cannot see is
    /// [`Error::NotFound`] (Google reports it inside a 200 answer).
    pub async fn free_busy(
        &self,
        access_token: &SecretString,
        calendar_id: &str,
        time_min: DateTime<FixedOffset>,
        time_max: DateTime<FixedOffset>,
    ) -> Result<Vec<Busy>, Error> {
        let body = json!({
            "timeMin": time_min.to_rfc3339(),
            "timeMax": time_max.to_rfc3339(),
            "items": [{"id": calendar_id}],
        });
        let body = &body;
        let answer: FreeBusyAnswer = self
            .calendar_retry
            .run(Repeat::Safe, |left| async move {
                let request = self.api(Method::POST, "freeBusy", access_token, left)?;
                send(request.json(body)).await
            })
            .await?;
        let calendar = answer.calendars.get(calendar_id).ok_or_else(|| {
            Error::unexpected("the freeBusy answer lacks the calendar it was asked about")
        })?;
        if let Some(error) = calendar.errors.first() {
            return Err(match error.reason.as_str() {
                "notFound" => Error::NotFound,
                // Google's per-calendar failures other than notFound are on its side.
                _ => Error::Unavailable {
                    status: 503,
                    retry_after: None,
                },
            });
        }
        let mut busy = calendar.busy.clone();
        busy.sort_by_key(|b| b.start);
        Ok(busy)
    }
}
