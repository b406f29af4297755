//! Dashboard benchmark: the overview and activity pages of a clinic with a busy history, read by
//! many signed-in admins at once.
//!
//! A real service runs in-process against the in-process sandbox (SQLite or PostgreSQL). The
//! clinic's history is made the way a clinic makes it: `messages` texts committed through the
//! outbox and sent by the running dispatcher, one in ten to a phone that fails (undelivered 30003)
//! and one in ten to a landline (failed 30006), the status callbacks applied. Then each page is
//! viewed once (the overview keeps its counts for 10 s per clinic, as a first visit leaves them)
//! and read in a closed loop by `connections` sessions, each its own keep-alive connection.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use reqwest::header::{COOKIE, SET_COOKIE};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::load::{LoadResult, closed_loop};
use super::service::{Service, Setup};
use crate::demo::CLINIC_NUMBER;
use crate::ids::MessageId;
use crate::outbox::{MessageKind, NewMessage};
use crate::store::Role;

/// The sandbox's scenario phones (see `sandbox::scenarios`): undelivered 30003, failed 30006.
const UNREACHABLE: &str = "+15557770001";
const LANDLINE: &str = "+15557770003";

/// Benchmark knobs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub database_url: Option<String>,
    pub messages: usize,
    pub connections: usize,
    pub seconds: u64,
}

/// What the run measured, per page.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardFigures {
    pub backend: String,
    pub messages: usize,
    pub history_seconds: f64,
    pub pages: Vec<PageFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageFigures {
    pub path: String,
    /// The first view after the history was made (the overview's counts are computed then).
    pub first_view_us: u64,
    pub load: LoadResult,
}

pub async fn run(plan: Plan) -> anyhow::Result<DashboardFigures> {
    let service = Service::start(Setup {
        tag: "dashboard",
        database_url: plan.database_url.as_deref(),
        step_delay: Duration::ZERO,
        google: false,
    })
    .await?;
    let (store, outbox) = (&service.services.store, service.services.delivery.outbox());
    let org = &service.org;
    let email = "owner@bench-clinic.example";
    let password = SecretString::from(format!("bench-{}", MessageId::generate()));
    store
        .create_user(&org.id, email, password.clone(), Role::Owner)
        .await?;
    let credential_id = service.add_twilio_account().await?;

    // The history: texts sent for real, in batches so the week's mix of outcomes is there.
    let started = Instant::now();
    let history: Vec<NewMessage> = (0..plan.messages)
        .map(|i| NewMessage {
            id: MessageId::generate(),
            credential_id: credential_id.clone(),
            kind: if i % 3 == 0 {
                MessageKind::HotLead
            } else {
                MessageKind::Sms
            },
            to: match i % 10 {
                0 => UNREACHABLE.to_owned(),
                1 => LANDLINE.to_owned(),
                _ => format!("+1628{:07}", 3_000_000 + i % 5_000),
            },
            sender: CLINIC_NUMBER.to_owned(),
            body: "Your appointment is confirmed. Reply STOP to opt out.".to_owned(),
            segments: 1,
        })
        .collect();
    for batch in history.chunks(1_000) {
        outbox
            .enqueue(&org.id, batch, None, Utc::now().timestamp_millis())
            .await?;
    }
    outbox.refresh_statistics().await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while outbox.backlog().await? > 0 {
        if Instant::now() > deadline {
            bail!("the history was not sent within 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the last status callbacks land.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let history_seconds = started.elapsed().as_secs_f64();

    let mut pages = Vec::new();
    for path in ["/dashboard", "/dashboard/activity"] {
        let viewer = sign_in(&service.url, email, &password).await?;
        let first = Instant::now();
        viewer.get(path).await?;
        let first_view_us = first.elapsed().as_micros() as u64;
        let mut sessions = Vec::with_capacity(plan.connections);
        for _ in 0..plan.connections {
            sessions.push(sign_in(&service.url, email, &password).await?);
        }
        let page = path.to_owned();
        let load = closed_loop(
            sessions,
            Duration::from_millis(500),
            Duration::from_secs(plan.seconds),
            move |session: Session, _| {
                let page = page.clone();
                async move {
                    let ok = session.get(&page).await.is_ok();
                    (session, ok)
                }
            },
        )
        .await;
        pages.push(PageFigures {
            path: path.to_owned(),
            first_view_us,
            load,
        });
    }

    let backend = service.backend.clone();
    service.stop().await?;
    Ok(DashboardFigures {
        backend,
        messages: plan.messages,
        history_seconds,
        pages,
    })
}

/// A signed-in admin on one keep-alive connection.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    /// Reads a page; anything but 200 is a failure of the run.
    async fn get(&self, path: &str) -> anyhow::Result<()> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        if status != reqwest::StatusCode::OK {
            bail!("{path} answered {status}");
        }
        Ok(())
    }
}

/// Signs in through the sign-in form, as a browser does.
async fn sign_in(base: &str, email: &str, password: &SecretString) -> anyhow::Result<Session> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()?;
    let form = http.get(format!("{base}/dashboard/sign-in")).send().await?;
    let pending = cookie(form.headers(), "voxanne_sign_in").context("no sign-in cookie")?;
    let html = form.text().await?;
    let token = hidden(&html, "form_token").context("no form token on the sign-in page")?;
    let done = http
        .post(format!("{base}/dashboard/sign-in"))
        .header(COOKIE, pending)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", email),
            ("password", password.expose_secret()),
            ("form_token", token.as_str()),
        ])
        .send()
        .await?;
    let session = cookie(done.headers(), "voxanne_session")
        .with_context(|| format!("sign-in answered {} without a session", done.status()))?;
    Ok(Session {
        http,
        base: base.to_owned(),
        cookie: session,
    })
}

/// `name=value` of the cookie `name` set by a response.
fn cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The value of the hidden input `name` in our own sign-in page (attributes in the order the
/// template writes them: `name` before `value`).
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_owned())
}
