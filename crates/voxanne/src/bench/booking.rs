//! Booking benchmark: the calendar use cases end to end on loopback.
//!
//! A real service (HTTP API, store, Google client, reconciler) runs in-process against the
//! in-process Google stand-in, on SQLite or PostgreSQL, with one clinic whose calendar is
//! connected through the consent flow. Two figures:
//! - availability: `GET /api/calendar/availability` over 7 days of a calendar holding
//!   `events` existing events (freeBusy at the stand-in, the clinic's own holds, the slot grid),
//!   one request at a time, p50/p99;
//! - bookings per second: `POST /api/calendar/appointments` from `concurrency` clients at once,
//!   each for its own slot (hold, freeBusy, event insert, settle), p50/p99 and the rate.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, Timelike, Utc};
use futures::StreamExt;
use hdrhistogram::Histogram;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use super::service::{Service, Setup};
use super::{Latency, per_second};
use crate::google::{EventTime, NewEvent};
use crate::google_connection::demo as google_demo;
use crate::opening_hours::{DAY_KEYS, OpeningHours};
use crate::store::OrgSettings;

/// Benchmark knobs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub database_url: Option<String>,
    /// Existing events in the 7 days availability looks at.
    pub events: usize,
    /// Availability requests measured.
    pub queries: usize,
    /// Bookings made in the throughput phase.
    pub bookings: usize,
    pub concurrency: usize,
}

/// What the run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BookingFigures {
    pub backend: String,
    pub events: usize,
    pub availability: Latency,
    pub slots_found: usize,
    pub concurrency: usize,
    pub booked: u64,
    pub refused: u64,
    pub booking: Latency,
    pub bookings_per_second: f64,
}

pub async fn run(plan: Plan) -> anyhow::Result<BookingFigures> {
    let service = Service::start(Setup {
        tag: "booking",
        database_url: plan.database_url.as_deref(),
        // Texts play no part here: the sandbox's default carrier.
        step_delay: sandbox::SandboxConfig::default().step_delay,
        google: true,
    })
    .await?;
    let (service_url, sandbox_url) = (&service.url, &service.sandbox_url);
    let (store, org, api_key) = (&service.services.store, &service.org, &service.api_key);
    let google = service
        .services
        .google
        .ready()
        .context("Google is configured for the benchmark")?;
    let email = "bench@clinic.example";
    google_demo::create_sandbox_user(sandbox_url, email).await?;
    let calendar = google_demo::connect_calendar(google, &org.id, email).await?;
    let all_day = [vec!["00:00".to_owned(), "24:00".to_owned()]];
    let mut org_settings = OrgSettings::default();
    org_settings.booking.opening_hours =
        OpeningHours::parse(DAY_KEYS.iter().map(|d| (*d, all_day.as_slice())))
            .map_err(|err| anyhow::anyhow!("opening hours: {}", err.message))?;
    store.update_settings(&org.id, &org_settings).await?;

    // The calendar as a clinic's looks: `events` events of 30 minutes in the coming week.
    let token = google.google_access_token(&org.id, &calendar.id).await?;
    let from = (Utc::now() + TimeDelta::days(1))
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .context("an hour")?;
    let to = from + TimeDelta::days(7);
    // Spread over the week's half hours, so some stay free between them.
    let half_hours = 7 * 48;
    for i in 0..plan.events {
        let index = i * half_hours / plan.events.max(1);
        let start = from + TimeDelta::minutes(30) * i32::try_from(index).unwrap_or(0);
        let at = |t: DateTime<Utc>| EventTime {
            date_time: t.to_rfc3339(),
            time_zone: None,
        };
        let event = NewEvent {
            id: None,
            summary: format!("Existing {i}"),
            description: None,
            start: at(start),
            end: at(start + TimeDelta::minutes(30)),
            extended_properties: None,
        };
        google
            .client
            .insert_event(&token, "primary", &event)
            .await?;
    }

    let http = reqwest::Client::new();
    let mut availability = Histogram::<u64>::new(3)?;
    let mut slots_found = 0;
    for _ in 0..plan.queries {
        let started = Instant::now();
        let answer = http
            .get(format!("{service_url}/api/calendar/availability"))
            .query(&[("from", from.to_rfc3339()), ("to", to.to_rfc3339())])
            .bearer_auth(api_key.expose_secret())
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("availability answered {}", answer.status());
        }
        let body: serde_json::Value = answer.json().await?;
        availability.record(micros(started.elapsed()))?;
        slots_found = body["slots"].as_array().map_or(0, Vec::len);
    }

    // Bookings after the week above, each for its own half hour.
    let first = to + TimeDelta::days(1);
    let started = Instant::now();
    let answers: Vec<(u16, u64)> = futures::stream::iter(0..plan.bookings)
        .map(|i| {
            let start = first + TimeDelta::minutes(30) * i32::try_from(i).unwrap_or(0);
            book(&http, service_url, api_key, start, i)
        })
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut booking = Histogram::<u64>::new(3)?;
    let mut booked = 0;
    for (status, us) in &answers {
        booking.record(*us)?;
        if *status == 201 {
            booked += 1;
        }
    }

    let backend = service.backend.clone();
    service.stop().await?;
    Ok(BookingFigures {
        backend,
        events: plan.events,
        availability: Latency::from_histogram(&availability),
        slots_found,
        concurrency: plan.concurrency,
        booked,
        refused: answers.len() as u64 - booked,
        booking: Latency::from_histogram(&booking),
        bookings_per_second: per_second(booked, elapsed),
    })
}

/// One booking: its status and latency (µs); a failed connection counts as status 0.
async fn book(
    http: &reqwest::Client,
    service_url: &str,
    api_key: &SecretString,
    start: DateTime<Utc>,
    i: usize,
) -> (u16, u64) {
    let started = Instant::now();
    let answer = http
        .post(format!("{service_url}/api/calendar/appointments"))
        .bearer_auth(api_key.expose_secret())
        .header("Idempotency-Key", format!("bench-{i}"))
        .json(&json!({
            "start": start.to_rfc3339(),
            "duration_minutes": 30,
            "lead": {"name": "Bench Lead", "phone": "+14155550177", "reason": "Benchmark"},
        }))
        .send()
        .await;
    let status = answer.map_or(0, |a| a.status().as_u16());
    (status, micros(started.elapsed()))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
