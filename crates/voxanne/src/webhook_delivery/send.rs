//! One attempt: check the URL again, sign, POST, and keep the status, the latency and the first
//! 1 KiB of the answer. Redirects are not followed (a 3xx is a failed attempt), and the resolver
//! of the client connects only to addresses the policy allows.

use std::time::Instant;

use crate::store::{AttemptReport, ClaimedDelivery};
use crate::webhooks::address::AddressPolicy;
use crate::webhooks::{payload, signing};

/// How much of a response body is read and kept.
pub const EXCERPT_LIMIT: usize = 1024;

pub(super) async fn attempt(
    client: &reqwest::Client,
    policy: AddressPolicy,
    delivery: &ClaimedDelivery,
) -> AttemptReport {
    let started = Instant::now();
    let at = chrono::Utc::now().timestamp_millis();
    let failed = |error: String| AttemptReport {
        status_code: None,
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        at,
        response_excerpt: String::new(),
        error: Some(error),
    };
    // The URL was checked when it was saved; a literal address is not resolved, so the rule is
    // applied to it here again (the settings may have changed since).
    if let Err(err) = policy.check_url(&delivery.url) {
        return failed(format!("refused: {err}"));
    }
    if delivery.secrets.is_empty() {
        return failed(
            "the signing secret cannot be decrypted with the configured keys".to_owned(),
        );
    }
    let body = payload(&delivery.event);
    let timestamp = at / 1000;
    let id = delivery.event.id.as_str();
    let signature = match signing::signature_header(&delivery.secrets, id, timestamp, &body) {
        Ok(signature) => signature,
        Err(err) => return failed(err.to_string()),
    };
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => return failed(describe(&err)),
    };
    let status = response.status().as_u16();
    let mut excerpt = Vec::new();
    let mut error = None;
    while excerpt.len() < EXCERPT_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(err) => {
                error = Some(describe(&err));
                break;
            }
        }
    }
    excerpt.truncate(EXCERPT_LIMIT);
    AttemptReport {
        status_code: Some(status),
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        at,
        response_excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
        error,
    }
}

/// What went wrong, in words, with the causes (never the request: it is signed).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}
