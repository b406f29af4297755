//! When to try a failed delivery again: the configured schedule, each wait spread by ±20 %
//! so the deliveries of one outage do not all return to the receiver at the same instant.

use std::time::Duration;

use rand::Rng;

use crate::store::NextStep;

/// How far a wait may move either way, in percent.
const JITTER_PERCENT: u64 = 20;

/// The step after an attempt that `ok` or not, when `attempts_before` attempts were made
/// before it: delivered, retried after the schedule's next wait, or given up once the schedule
/// is spent.
pub fn next_step(schedule: &[Duration], attempts_before: i64, ok: bool, now: i64) -> NextStep {
    if ok {
        return NextStep::Delivered;
    }
    let index = usize::try_from(attempts_before).unwrap_or(usize::MAX);
    match schedule.get(index) {
        Some(wait) => {
            let wait = jittered(*wait, &mut rand::rng());
            NextStep::RetryAt(
                now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
            )
        }
        None => NextStep::GiveUp,
    }
}

fn jittered(wait: Duration, rng: &mut impl Rng) -> Duration {
    let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    let spread = millis / 100 * JITTER_PERCENT;
    let low = millis.saturating_sub(spread);
    Duration::from_millis(rng.random_range(low..=millis.saturating_add(spread)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn a_success_is_delivered_whatever_came_before() {
        assert_eq!(next_step(&secs(&[5]), 9, true, 0), NextStep::Delivered);
    }

    #[test]
    fn after_the_last_wait_the_delivery_gives_up() {
        let schedule = secs(&[5, 300]);
        assert!(matches!(
            next_step(&schedule, 0, false, 0),
            NextStep::RetryAt(_)
        ));
        assert!(matches!(
            next_step(&schedule, 1, false, 0),
            NextStep::RetryAt(_)
        ));
        assert_eq!(next_step(&schedule, 2, false, 0), NextStep::GiveUp);
    }

    proptest! {
        #[test]
        fn each_retry_waits_its_scheduled_time_within_twenty_percent(
            waits in proptest::collection::vec(1u64..100_000, 1..8),
            now in 0i64..1_000_000_000_000,
        ) {
            let schedule = secs(&waits);
            for (attempt, wait) in waits.iter().enumerate() {
                let NextStep::RetryAt(at) = next_step(&schedule, attempt as i64, false, now) else {
                    panic!("expected a retry");
                };
                let millis = (*wait * 1000) as i64;
                prop_assert!(at >= now + millis * 80 / 100 && at <= now + millis * 120 / 100);
            }
        }
    }
}
