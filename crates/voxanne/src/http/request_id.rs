//! A request id for every request: in the `x-request-id` response header, in every log line of
//! the request (as a span field) and in every error body, so a user's report can be matched to logs.
//!
//! A caller may send its own `x-request-id` (the receptionist backend does, to trace one call
//! across services); it is kept when it is a short token of safe characters, and replaced otherwise
//! so a hostile value never reaches the logs.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header that carries the id both ways.
pub const HEADER: &str = "x-request-id";

const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled by this task, if any.
///
/// Error bodies read it here rather than from the request, because errors are built where the
/// request is no longer at hand (extractor rejections, layers).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

fn acceptable(candidate: &str) -> bool {
    !candidate.is_empty()
        && candidate.len() <= MAX_LEN
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn generate() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Assigns the id, runs the request inside a span that carries it, and logs one line per request.
///
/// Only the method, the route template (or the raw path when none matched), the status and the
/// latency are logged: never headers, bodies or query strings, which may hold keys or numbers.
pub async fn middleware(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| acceptable(value))
        .map_or_else(generate, str::to_owned);
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |path| path.as_str().to_owned(),
    );
    // `org_id` is filled in by the `Caller` extractor once the API key is known.
    let span = tracing::info_span!("request", request_id = %id, %method, %route, org_id = tracing::field::Empty);
    let started = Instant::now();
    let mut response = CURRENT
        .scope(id.clone(), next.run(request).instrument(span.clone()))
        .await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request finished"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_caller_ids_are_kept_and_hostile_ones_are_not() {
        assert!(acceptable("call-42_abc.def"));
        assert!(!acceptable(""));
        assert!(!acceptable("line\nbreak"));
        assert!(!acceptable("a b"));
        assert!(!acceptable(&"x".repeat(MAX_LEN + 1)));
    }

    #[test]
    fn generated_ids_are_acceptable_and_distinct() {
        let (a, b) = (generate(), generate());
        assert!(acceptable(&a));
        assert_ne!(a, b);
    }
}
