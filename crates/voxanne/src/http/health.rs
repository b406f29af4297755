//! Liveness (`/healthz`), readiness (`/readyz`: the database answers) and `/metrics`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};

/// The answer of the health endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    /// `ok` (the process runs) or `ready` (it can serve: the database answers).
    pub status: String,
}

/// The process is up (no dependency is checked, so an orchestrator does not restart us for a
/// database outage).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthOut)))]
pub async fn healthz() -> Json<HealthOut> {
    Json(HealthOut {
        status: "ok".to_owned(),
    })
}

/// The service can serve requests: the database answers a trivial query.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database is reachable", body = HealthOut),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthOut>, ApiError> {
    match state.store().ping().await {
        Ok(()) => Ok(Json(HealthOut {
            status: "ready".to_owned(),
        })),
        Err(err) => {
            let err: &(dyn std::error::Error + 'static) = &err;
            tracing::warn!(error = err, "readiness check: the database does not answer");
            Err(ApiError::Unavailable {
                message: "The database is not reachable.",
            })
        }
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics (OpenMetrics text)", body = String,
        content_type = "application/openmetrics-text")))]
pub async fn metrics(
    state: State<super::metrics::Metrics>,
) -> Result<axum::response::Response, ApiError> {
    super::metrics::scrape(state).await
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}
