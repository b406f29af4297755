//! The last 7 days at a glance: texts per day by outcome, drawn as an SVG bar chart on the
//! server (no chart script), the hot-lead time from acceptance to delivery (median), and the
//! messages flagged for a person.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::outbox::{MessageKind, MessageRecord, MessageStatus};

/// Chart geometry, in SVG user units.
const WIDTH: u32 = 700;
const HEIGHT: u32 = 220;
const BASELINE: u32 = 180;
const TOP: u32 = 20;
const GROUP: u32 = 100;
const BAR: u32 = 22;

pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    /// `delivered`, `failed` or `undelivered` (the CSS class and the legend's word).
    pub outcome: &'static str,
    pub count: u32,
}

pub struct Day {
    pub label: String,
    /// Where the day's label sits (the middle of its bars).
    pub x: u32,
    pub delivered: u32,
    pub failed: u32,
    pub undelivered: u32,
}

pub struct Week {
    pub days: Vec<Day>,
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub baseline: u32,
    /// The tallest day's count, written on the axis.
    pub max: u32,
    /// Median hot-lead time from acceptance to delivered, in words ("2.1 s"), if any arrived.
    pub hot_lead_p50: Option<String>,
    pub flagged: usize,
    pub total: usize,
    /// A sentence for screen readers (the chart is `role="img"`).
    pub summary: String,
}

fn day_of(ms: i64) -> Option<NaiveDate> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|at| at.date_naive())
}

/// Sums `messages` (all created in the 7 days up to `today`) by day and outcome.
pub fn summarize(messages: &[MessageRecord], today: NaiveDate) -> Week {
    let first = today.checked_sub_days(Days::new(6)).unwrap_or(today);
    let mut days: Vec<Day> = (0..7u32)
        .map(|offset| {
            let date = first
                .checked_add_days(Days::new(u64::from(offset)))
                .unwrap_or(today);
            Day {
                label: date.format("%a %d").to_string(),
                x: offset * GROUP + GROUP / 2,
                delivered: 0,
                failed: 0,
                undelivered: 0,
            }
        })
        .collect();
    let mut hot_lead_ms: Vec<i64> = Vec::new();
    for message in messages {
        let Some(index) = day_of(message.created_at)
            .and_then(|day| usize::try_from((day - first).num_days()).ok())
            .filter(|index| *index < days.len())
        else {
            continue;
        };
        let day = &mut days[index];
        match message.status {
            MessageStatus::Delivered | MessageStatus::Read => {
                day.delivered += 1;
                if message.kind == MessageKind::HotLead {
                    hot_lead_ms.push(message.updated_at - message.created_at);
                }
            }
            MessageStatus::Failed => day.failed += 1,
            MessageStatus::Undelivered => day.undelivered += 1,
            _ => {}
        }
    }
    let max = days
        .iter()
        .flat_map(|day| [day.delivered, day.failed, day.undelivered])
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |count: u32| count * (BASELINE - TOP) / max;
    let mut bars = Vec::new();
    for (offset, day) in (0u32..).zip(days.iter()) {
        let left = offset * GROUP + (GROUP - 3 * BAR) / 2;
        for (slot, (outcome, count)) in (0u32..).zip([
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
    hot_lead_ms.sort_unstable();
    let hot_lead_p50 = hot_lead_ms
        .get(hot_lead_ms.len() / 2)
        .map(|ms| format!("{:.1} s", *ms as f64 / 1000.0));
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
        hot_lead_p50,
        flagged: messages.iter().filter(|m| m.needs_attention).count(),
        total: messages.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::MessageRecord;

    fn message(
        day: NaiveDate,
        status: MessageStatus,
        kind: MessageKind,
        took_ms: i64,
    ) -> MessageRecord {
        let created = day
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        MessageRecord {
            id: "msg_x".into(),
            org_id: "org_x".into(),
            credential_id: "cred_x".into(),
            kind,
            to: "+14155550100".into(),
            sender: "+14155550101".into(),
            body: String::new(),
            status,
            twilio_sid: None,
            segments: 1,
            error_code: None,
            reason: None,
            needs_attention: false,
            callback_token: String::new(),
            created_at: created,
            updated_at: created + took_ms,
        }
    }

    #[test]
    fn texts_are_counted_per_day_and_outcome_and_the_hot_lead_median_is_taken() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let yesterday = today.pred_opt().unwrap();
        let long_ago = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let messages = vec![
            message(today, MessageStatus::Delivered, MessageKind::HotLead, 1_000),
            message(today, MessageStatus::Delivered, MessageKind::HotLead, 3_000),
            message(today, MessageStatus::Delivered, MessageKind::HotLead, 2_000),
            message(yesterday, MessageStatus::Failed, MessageKind::Sms, 0),
            message(yesterday, MessageStatus::Undelivered, MessageKind::Sms, 0),
            message(long_ago, MessageStatus::Delivered, MessageKind::Sms, 0),
        ];
        let week = summarize(&messages, today);
        assert_eq!(week.days.len(), 7);
        assert_eq!(week.days[6].delivered, 3);
        assert_eq!((week.days[5].failed, week.days[5].undelivered), (1, 1));
        assert_eq!(week.max, 3);
        assert_eq!(week.hot_lead_p50.as_deref(), Some("2.0 s"));
        let tallest = week.bars.iter().find(|bar| bar.count == 3).unwrap();
        assert_eq!(tallest.y, TOP);
        assert!(
            week.summary
                .contains("3 delivered, 1 failed, 1 undelivered")
        );
    }
}
