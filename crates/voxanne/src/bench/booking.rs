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
use sandbox::{Sandbox, SandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;

use super::{Latency, per_second};
use crate::app as server;
use crate::config::Settings;
use crate::google::{EventTime, NewEvent};
use crate::google_connection::demo as google_demo;
use crate::opening_hours::{DAY_KEYS, OpeningHours};
use crate::store::OrgSettings;
use crate::vault::MasterKey;

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
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .context("starting the sandbox")?;
    let sandbox_url = sandbox.url().to_owned();
    let dir = std::env::temp_dir().join(format!("voxanne-bench-booking-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key_file = dir.join("master.key");
    std::fs::write(&key_file, MasterKey::generate().to_base64().expose_secret())?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let service_url = format!("http://{}", listener.local_addr()?);
    let (client_id, client_secret) = google_demo::register_sandbox_client(
        &sandbox_url,
        &format!("{service_url}/oauth/google/callback"),
    )
    .await?;
    let mut settings = Settings {
        data_dir: dir.clone(),
        database_url: plan.database_url.clone(),
        master_key_file: Some(key_file),
        ..Settings::default()
    };
    settings.server.twilio_base_url = sandbox_url.clone();
    settings.server.google_base_url = Some(sandbox_url.clone());
    settings.server.google_client_id = Some(client_id);
    settings.server.google_client_secret = Some(client_secret);
    settings.server.public_url = Some(service_url.clone());
    settings.server.rate_limit_per_second = std::num::NonZeroU32::MIN.saturating_add(100_000);
    settings.server.rate_limit_burst = std::num::NonZeroU32::MIN.saturating_add(100_000);
    let state = server::app_state(&settings)
        .await
        .context("starting the service")?;
    let backend = format!("{:?}", state.services.store.backend());
    let store = state.services.store.clone();
    let google = state
        .services
        .google
        .ready()
        .cloned()
        .context("Google is configured for the benchmark")?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));

    let org = store.create_organization("Bench Clinic").await?;
    let (_record, api_key) = store.create_api_key(&org.id).await?;
    let api_key = api_key.secret().clone();
    let email = "bench@clinic.example";
    google_demo::create_sandbox_user(&sandbox_url, email).await?;
    let calendar = google_demo::connect_calendar(&google, &org.id, email).await?;
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
            book(&http, &service_url, &api_key, start, i)
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

    let _ = stop_tx.send(());
    let _ = serving.await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
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
