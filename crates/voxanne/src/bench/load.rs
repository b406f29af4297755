//! A closed-loop load generator: N workers each run one request after another for a fixed time.
//! Each worker holds its own state (the sandbox benchmark: one keep-alive connection).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::{Latency, per_second};

/// What one closed-loop run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadResult {
    pub concurrency: usize,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub per_second: f64,
    pub latency: Latency,
}

/// Runs `op` from one worker per element of `states` (a connection, say) for `warmup` (not
/// recorded) and then `measure`. Each call gets its worker's state and hands it back with
/// whether the operation succeeded; failures are counted, not timed.
pub async fn closed_loop<S, F, Fut>(
    states: Vec<S>,
    warmup: Duration,
    measure: Duration,
    op: F,
) -> LoadResult
where
    S: Send + 'static,
    F: Fn(S, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (S, bool)> + Send,
{
    let concurrency = states.len();
    let op = Arc::new(op);
    let started = Instant::now();
    let record_from = started + warmup;
    let stop_at = record_from + measure;
    let mut workers = Vec::with_capacity(concurrency);
    for (worker, state) in states.into_iter().enumerate() {
        let op = Arc::clone(&op);
        workers.push(tokio::spawn(async move {
            let mut state = Some(state);
            // 1 µs .. 60 s at 3 significant digits: the bounds are constants, so creation cannot fail.
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let (mut ok, mut errors, mut seq) = (0u64, 0u64, (worker as u64) << 40);
            loop {
                let t0 = Instant::now();
                if t0 >= stop_at {
                    break;
                }
                seq += 1;
                let Some(held) = state.take() else { break };
                let (held, success) = op(held, seq).await;
                state = Some(held);
                if t0 < record_from {
                    continue;
                }
                if success {
                    ok += 1;
                    if let Some(h) = hist.as_mut() {
                        let _ = h.record(t0.elapsed().as_micros().max(1) as u64);
                    }
                } else {
                    errors += 1;
                }
            }
            (hist, ok, errors)
        }));
    }
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
    let (mut ok, mut errors) = (0, 0);
    for worker in workers {
        if let Ok((hist, o, e)) = worker.await {
            ok += o;
            errors += e;
            if let (Some(t), Some(h)) = (total.as_mut(), hist.as_ref()) {
                let _ = t.add(h);
            }
        }
    }
    let latency = total
        .as_ref()
        .map(Latency::from_histogram)
        .unwrap_or(Latency {
            count: 0,
            p50_us: 0,
            p99_us: 0,
            max_us: 0,
        });
    LoadResult {
        concurrency,
        seconds: measure.as_secs_f64(),
        ok,
        errors,
        per_second: per_second(ok, measure),
        latency,
    }
}
