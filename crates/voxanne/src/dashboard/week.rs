//! The last 7 days at a glance, drawn as an SVG bar chart on the server (no chart script): texts
//! per day by outcome, from the counts of [`crate::traffic`].

use crate::traffic::Traffic;

/// Chart geometry, in SVG user units.
const WIDTH: u64 = 700;
const HEIGHT: u64 = 220;
const BASELINE: u64 = 180;
const TOP: u64 = 20;
const GROUP: u64 = 100;
const BAR: u64 = 22;

pub struct Bar {
    pub x: u64,
    pub y: u64,
    pub height: u64,
    /// `delivered`, `failed` or `undelivered` (the CSS class and the legend's word).
    pub outcome: &'static str,
    pub count: u64,
}

pub struct Day {
    pub label: String,
    /// Where the day's label sits (the middle of its bars).
    pub x: u64,
    pub delivered: u64,
    pub failed: u64,
    pub undelivered: u64,
}

pub struct Week {
    pub days: Vec<Day>,
    pub bars: Vec<Bar>,
    pub width: u64,
    pub height: u64,
    pub baseline: u64,
    /// The tallest bar's count, written on the axis.
    pub max: u64,
    /// Median hot-lead time from acceptance to delivered, in words ("2.1 s"), if any arrived.
    pub hot_lead_p50: Option<String>,
    pub flagged: u64,
    /// A sentence for screen readers (the chart is `role="img"`).
    pub summary: String,
}

pub fn chart(traffic: &Traffic) -> Week {
    let days: Vec<Day> = (0u64..)
        .zip(&traffic.days)
        .map(|(offset, day)| Day {
            label: day.date.format("%a %d").to_string(),
            x: offset * GROUP + GROUP / 2,
            delivered: day.delivered,
            failed: day.failed,
            undelivered: day.undelivered,
        })
        .collect();
    let max = days
        .iter()
        .flat_map(|day| [day.delivered, day.failed, day.undelivered])
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |count: u64| count * (BASELINE - TOP) / max;
    let mut bars = Vec::new();
    for (offset, day) in (0u64..).zip(days.iter()) {
        let left = offset * GROUP + (GROUP - 3 * BAR) / 2;
        for (slot, (outcome, count)) in (0u64..).zip([
            ("delivered", day.delivered),
            ("failed", day.failed),
            ("undelivered", day.undelivered),
        ]) {
            let height = scale(count);
            bars.push(Bar {
                x: left + slot * BAR,
                y: BASELINE - height,
                height,
                outcome,
                count,
            });
        }
    }
    let (delivered, failed, undelivered) = days.iter().fold((0, 0, 0), |(d, f, u), day| {
        (d + day.delivered, f + day.failed, u + day.undelivered)
    });
    Week {
        summary: format!(
            "Texts in the last 7 days: {delivered} delivered, {failed} failed, {undelivered} undelivered."
        ),
        days,
        bars,
        width: WIDTH,
        height: HEIGHT,
        baseline: BASELINE,
        max,
        hot_lead_p50: traffic
            .hot_lead_p50
            .map(|p50| format!("{:.1} s", p50.as_secs_f64())),
        flagged: traffic.flagged,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::NaiveDate;

    use super::*;
    use crate::traffic::DayOutcomes;

    #[test]
    fn bars_scale_to_the_busiest_day_and_the_summary_counts_everything() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let days = (0..7)
            .map(|n| DayOutcomes {
                date: first + chrono::Days::new(n),
                delivered: if n == 6 { 3 } else { 0 },
                failed: u64::from(n == 5),
                undelivered: u64::from(n == 5),
            })
            .collect();
        let traffic = Traffic {
            days,
            hot_lead_p50: Some(Duration::from_millis(2_000)),
            flagged: 0,
        };
        let week = chart(&traffic);
        assert_eq!(week.days.len(), 7);
        assert_eq!(week.max, 3);
        assert_eq!(week.hot_lead_p50.as_deref(), Some("2.0 s"));
        let tallest = week.bars.iter().find(|bar| bar.count == 3).unwrap();
        assert_eq!((tallest.y, tallest.height), (TOP, BASELINE - TOP));
        assert!(
            week.bars
                .iter()
                .filter(|bar| bar.count == 0)
                .all(|bar| bar.height == 0)
        );
        assert!(
            week.summary
                .contains("3 delivered, 1 failed, 1 undelivered")
        );
        assert_eq!(week.days[0].label, "Thu 26");
    }
}
