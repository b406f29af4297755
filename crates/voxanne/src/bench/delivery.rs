//! Delivery benchmark: the job Voxanne exists for, measured end to end on loopback.
//!
//! A real service (HTTP API, outbox, dispatcher, status callbacks) runs in-process against the
//! in-process sandbox on SQLite or PostgreSQL. Two figures:
//! - hot-lead latency: from sending `POST /api/messages/hot-lead` to the sandbox phone receiving
//!   the text (the sandbox stamps each inbox entry; its simulated carrier takes three life-cycle
//!   steps of `step_delay` between Twilio's accept and the handset, included here);
//! - sustained dispatch throughput: a backlog committed in one transaction, drained by the
//!   running dispatcher through Twilio's REST API, callbacks and all.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rss_kib;
use super::service::{Service, Setup};
use crate::demo::CLINIC_NUMBER;
use crate::ids::MessageId;
use crate::outbox::{MessageKind, NewMessage};

/// What the run measured.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryFigures {
    pub backend: String,
    pub step_delay_ms: u64,
    pub rate_per_second: u32,
    pub sent: usize,
    pub received: usize,
    /// From the moment the service accepted the hot lead (the message's `created_at`, in the
    /// 202 answer) to the sandbox phone's `received_at`: the "API accept → phone".
    pub latency_p50_ms: i64,
    pub latency_p99_ms: i64,
    pub latency_max_ms: i64,
    /// The same, from when the client started its request (adds the API call itself).
    pub request_latency_p50_ms: i64,
    pub request_latency_p99_ms: i64,
    /// The service's own cost of a hot lead: from when the client started its request to when
    /// Twilio (the sandbox) accepted the text, the end of all the service does. The phone's
    /// receipt comes after the simulated carrier's three life-cycle steps, which take at least
    /// a millisecond each even at a step delay of 0 (the sandbox never runs a text's whole life
    /// in one pass, and tokio's timers tick in milliseconds).
    pub handoff_p50_ms: i64,
    pub handoff_p99_ms: i64,
    pub backlog: usize,
    pub backlog_drained: usize,
    pub backlog_seconds: f64,
    pub dispatch_per_second: f64,
    pub rss_idle_kib: Option<u64>,
    pub rss_peak_kib: Option<u64>,
}

/// Benchmark knobs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub database_url: Option<String>,
    pub rate: u32,
    pub seconds: u64,
    pub backlog: usize,
    pub step_delay: Duration,
}

#[derive(Deserialize)]
struct Received {
    created_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

pub async fn run(plan: Plan) -> anyhow::Result<DeliveryFigures> {
    let service = Service::start(Setup {
        tag: "delivery",
        database_url: plan.database_url.as_deref(),
        step_delay: plan.step_delay,
        google: false,
    })
    .await?;
    let (service_url, sandbox_url) = (&service.url, &service.sandbox_url);
    let (org, api_key) = (&service.org, &service.api_key);
    let outbox = service.services.delivery.outbox();
    // The benchmark measures delivery, not the sending quota: the highest limits a clinic can set.
    service
        .services
        .store
        .set_quota_limits(
            &org.id,
            crate::store::QuotaLimitsPatch {
                texts_per_minute: Some(10_000),
                texts_per_day: Some(1_000_000),
            },
        )
        .await?;
    let credential_id = service.add_twilio_account().await?;
    let rss_idle_kib = rss_kib();

    // Phase 1: hot leads at a steady rate, each to its own phone so its arrival is unambiguous.
    let http = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / plan.rate.max(1));
    let total = (plan.rate as u64 * plan.seconds) as usize;
    let mut requests = Vec::with_capacity(total);
    let mut rss_peak = rss_idle_kib;
    for i in 0..total {
        ticker.tick().await;
        let phone = format!("+1628{:07}", 2_000_000 + i);
        let request = http
            .post(format!("{service_url}/api/messages/hot-lead"))
            .bearer_auth(api_key.expose_secret())
            .json(&json!({
                "lead": {"name": "Maria Lopez", "phone": "+14155550177",
                         "reason": "Knee pain, wants a consult", "preferred_time": "today 3pm"},
                "to": [phone],
            }));
        requests.push(tokio::spawn(async move {
            let started = Utc::now();
            let accepted = match request.send().await {
                Ok(r) if r.status().as_u16() == 202 => r.json::<Accepted>().await.ok(),
                _ => None,
            };
            let accepted_at = accepted
                .and_then(|a| a.messages.into_iter().next())
                .and_then(|m| DateTime::parse_from_rfc3339(&m.created_at).ok())
                .map(|at| at.with_timezone(&Utc));
            (phone, started, accepted_at)
        }));
        if i % 50 == 0 {
            rss_peak = rss_peak.max(rss_kib());
        }
    }
    let mut sent_at = HashMap::new();
    for request in requests {
        let (phone, started, accepted_at) = request.await?;
        if let Some(accepted_at) = accepted_at {
            sent_at.insert(phone, (started, accepted_at));
        }
    }
    let Latencies {
        from_request: request_latencies,
        from_acceptance: latencies,
        handoff,
    } = collect_latencies(&http, sandbox_url, &sent_at).await?;
    if latencies.is_empty() {
        bail!("no hot lead reached its phone");
    }

    // Phase 2: a backlog committed at once, then drained by the running dispatcher.
    let body = crate::hot_lead::render(
        &crate::hot_lead::Lead {
            name: "Maria Lopez".into(),
            phone: crate::phone::PhoneNumber::parse("lead.phone", "+14155550177")?,
            reason: "Knee pain, wants a consult".into(),
            preferred_time: Some("today 3pm".into()),
            call_id: None,
        },
        "Bench Clinic",
    );
    let batch: Vec<NewMessage> = (0..plan.backlog)
        .map(|i| NewMessage {
            id: MessageId::generate(),
            credential_id: credential_id.clone(),
            kind: MessageKind::HotLead,
            to: format!("+1629{:07}", 2_000_000 + i % 5_000),
            sender: CLINIC_NUMBER.to_owned(),
            body: body.clone(),
            segments: 1,
        })
        .collect();
    outbox
        .enqueue(&org.id, &batch, None, Utc::now().timestamp_millis())
        .await?;
    // As pgbench does after loading: statistics that still describe the near-empty tables of
    // phase 1 would plan the drain's lookups for 50 rows (autovacuum analyzes only every minute).
    outbox.refresh_statistics().await?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    let mut left = outbox.backlog().await? as usize;
    while left > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = outbox.backlog().await? as usize;
        rss_peak = rss_peak.max(rss_kib());
    }
    let backlog_seconds = started.elapsed().as_secs_f64();
    let drained = plan.backlog.saturating_sub(left);

    let backend = service.backend.clone();
    service.stop().await?;

    let quantile = |values: &[i64], q: f64| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
    };
    let pick = |q: f64| quantile(&latencies, q);
    Ok(DeliveryFigures {
        backend,
        step_delay_ms: plan.step_delay.as_millis() as u64,
        rate_per_second: plan.rate,
        sent: sent_at.len(),
        received: latencies.len(),
        request_latency_p50_ms: quantile(&request_latencies, 0.50),
        request_latency_p99_ms: quantile(&request_latencies, 0.99),
        handoff_p50_ms: quantile(&handoff, 0.50),
        handoff_p99_ms: quantile(&handoff, 0.99),
        latency_p50_ms: pick(0.50),
        latency_p99_ms: pick(0.99),
        latency_max_ms: pick(1.0),
        backlog: plan.backlog,
        backlog_drained: drained,
        backlog_seconds,
        dispatch_per_second: drained as f64 / backlog_seconds.max(f64::EPSILON),
        rss_idle_kib,
        rss_peak_kib: rss_peak,
    })
}

/// The hot leads' latencies in milliseconds, one of each per text that arrived.
#[derive(Default)]
struct Latencies {
    /// The client's request → the phone's first text.
    from_request: Vec<i64>,
    /// The service's acceptance → the phone's first text.
    from_acceptance: Vec<i64>,
    /// The client's request → Twilio accepting the text.
    handoff: Vec<i64>,
}

/// Reads every phone's inbox (waiting up to 10 s for stragglers) for the texts' latencies.
async fn collect_latencies(
    http: &reqwest::Client,
    sandbox_url: &str,
    sent_at: &HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
) -> anyhow::Result<Latencies> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut latencies = HashMap::new();
    while latencies.len() < sent_at.len() && Instant::now() < deadline {
        for (phone, (started, accepted_at)) in sent_at {
            if latencies.contains_key(phone) {
                continue;
            }
            let url = format!(
                "{sandbox_url}/sandbox/phones/{}/messages",
                phone.replace('+', "%2B")
            );
            let inbox: Vec<Received> = http.get(url).send().await?.json().await?;
            if let Some(first) = inbox.first() {
                latencies.insert(
                    phone.clone(),
                    (
                        (first.received_at - *started).num_milliseconds(),
                        (first.received_at - *accepted_at).num_milliseconds(),
                        (first.created_at - *started).num_milliseconds(),
                    ),
                );
            }
        }
        if latencies.len() < sent_at.len() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let mut all = Latencies::default();
    for (from_request, from_acceptance, handoff) in latencies.into_values() {
        all.from_request.push(from_request);
        all.from_acceptance.push(from_acceptance);
        all.handoff.push(handoff);
    }
    Ok(all)
}

/// The part of the hot-lead 202 answer the benchmark reads.
#[derive(Deserialize)]
struct Accepted {
    messages: Vec<AcceptedMessage>,
}

#[derive(Deserialize)]
struct AcceptedMessage {
    created_at: String,
}
