//! Prometheus metrics at `GET /metrics` (text exposition format), with the official
//! `prometheus-client` crate.
//!
//! Labels use the route template (`/api/organization/credentials/{id}`), never the raw path, so
//! ids cannot blow up the series count; requests that matched no route share `route="unmatched"`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
pub use crate::metrics::Metrics;

/// Records the count and latency of every request.
pub async fn middleware(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`
pub async fn scrape(State(metrics): State<Metrics>) -> Result<Response, ApiError> {
    let text = metrics.render().map_err(|err| {
        ApiError::Unexpected(anyhow::Error::new(err).context("Failed to encode metrics"))
    })?;
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
