//! The service's metrics, kept in one `prometheus-client` registry: requests by route and
//! status (recorded by the HTTP adapter) and credential verifications by outcome (recorded by the
//! verify use case, whichever front door ran it). `GET /metrics` renders them.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

/// Every metric the service exports, behind one registry (cheap to clone).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    verifications: Family<OutcomeLabels, Counter>,
    rechecks: Family<OutcomeLabels, Counter>,
    recheck_failed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("voxanne");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            // 1 ms to ~16 s: covers a cached read up to a verification against a slow Twilio.
            (|| Histogram::new(exponential_buckets(0.001, 2.0, 15))) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            durations.clone(),
        );
        let verifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "credential_verifications",
            "Credential verifications run, by outcome",
            verifications.clone(),
        );
        let rechecks = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "credential_rechecks",
            "Scheduled credential re-checks run by this server, by outcome",
            rechecks.clone(),
        );
        let recheck_failed = Counter::default();
        registry.register(
            "credential_recheck_failed",
            "Credentials this server could not re-check several times in a row (once per streak)",
            recheck_failed.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                durations,
                verifications,
                rechecks,
                recheck_failed,
            }),
        }
    }

    /// Counts one credential verification (`verified` or `failed`).
    pub fn verification(&self, outcome: &str) {
        self.inner
            .verifications
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one scheduled re-check (`verified`, `failed`, `needs_reconnect`, `could_not_check`).
    pub fn recheck(&self, outcome: &str) {
        self.inner
            .rechecks
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one streak of re-checks that could not check reaching the threshold.
    pub fn recheck_failed(&self) {
        self.inner.recheck_failed.inc();
    }

    /// Counts one answered request and its latency, labelled by route template (never the raw path).
    pub fn request(&self, method: String, route: String, status: u16, elapsed_secs: f64) {
        let inner = &self.inner;
        inner
            .durations
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(elapsed_secs);
        inner
            .requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.inner.registry)?;
        Ok(text)
    }
}
