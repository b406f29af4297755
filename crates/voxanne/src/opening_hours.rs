//! A clinic's opening hours: for each weekday, the spans of local wall-clock time in which
//! appointments may be booked, e.g. `{"mon": [["09:00","12:30"],["13:30","17:00"]], …}`.
//!
//! Kept as wall-clock times, not UTC instants, because a clinic opens at 09:00 in winter and in
//! summer alike; turning them into instants is the time zone's job, day by day.

use std::fmt;

use chrono::{NaiveTime, Weekday};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// At most this many spans per day (a lunch break or two, not a timetable).
pub const MAX_SPANS_PER_DAY: usize = 6;

/// The weekday keys, Monday first, as they are written in settings.
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A time of day in minutes after midnight; `24:00` (1440) may end a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// Parses `HH:MM` (00:00 to 24:00).
    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        let minutes = h * 60 + m;
        (m < 60 && minutes <= 24 * 60).then_some(Self(minutes))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    /// The time of day, `None` for `24:00` (the end of the day, which `NaiveTime` cannot hold).
    pub fn naive(self) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(u32::from(self.0 / 60), u32::from(self.0 % 60), 0)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening span, `[start, end)` in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: ClockTime,
    pub end: ClockTime,
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [self.start.to_string(), self.end.to_string()].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let [start, end] = <[String; 2]>::deserialize(deserializer)?;
        let parse = |t: &str| {
            ClockTime::parse(t).ok_or_else(|| D::Error::custom(format!("`{t}` is not HH:MM")))
        };
        Ok(Span {
            start: parse(&start)?,
            end: parse(&end)?,
        })
    }
}

/// The week's opening spans, Monday first; an empty day is closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpeningHours {
    pub mon: Vec<Span>,
    pub tue: Vec<Span>,
    pub wed: Vec<Span>,
    pub thu: Vec<Span>,
    pub fri: Vec<Span>,
    pub sat: Vec<Span>,
    pub sun: Vec<Span>,
}

/// Monday to Friday, 09:00 to 17:00: what a clinic that has said nothing yet is assumed to keep.
impl Default for OpeningHours {
    fn default() -> Self {
        let day = || {
            vec![Span {
                start: ClockTime(9 * 60),
                end: ClockTime(17 * 60),
            }]
        };
        Self {
            mon: day(),
            tue: day(),
            wed: day(),
            thu: day(),
            fri: day(),
            sat: Vec::new(),
            sun: Vec::new(),
        }
    }
}

/// Why a day's spans are not usable: the key, the span's index, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoursError {
    /// Path below `opening_hours`, e.g. `mon[1]`.
    pub at: String,
    pub message: String,
}

impl OpeningHours {
    pub fn day(&self, weekday: Weekday) -> &[Span] {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    fn day_mut(&mut self, key: &str) -> Option<&mut Vec<Span>> {
        Some(match key {
            "mon" => &mut self.mon,
            "tue" => &mut self.tue,
            "wed" => &mut self.wed,
            "thu" => &mut self.thu,
            "fri" => &mut self.fri,
            "sat" => &mut self.sat,
            "sun" => &mut self.sun,
            _ => return None,
        })
    }

    /// Builds the week from `{"mon": [["09:00","12:30"], …], …}` as given: days left out are
    /// closed; each span must start before it ends, and a day's spans must be in order without
    /// overlapping.
    pub fn parse<'a>(
        days: impl IntoIterator<Item = (&'a str, &'a [Vec<String>])>,
    ) -> Result<Self, HoursError> {
        let mut week = OpeningHours {
            mon: Vec::new(),
            tue: Vec::new(),
            wed: Vec::new(),
            thu: Vec::new(),
            fri: Vec::new(),
            sat: Vec::new(),
            sun: Vec::new(),
        };
        for (key, spans) in days {
            let Some(day) = week.day_mut(key) else {
                return Err(HoursError {
                    at: key.chars().take(16).filter(|c| !c.is_control()).collect(),
                    message: format!("days are written {}", DAY_KEYS.join(", ")),
                });
            };
            if spans.len() > MAX_SPANS_PER_DAY {
                return Err(HoursError {
                    at: key.to_owned(),
                    message: format!("at most {MAX_SPANS_PER_DAY} spans per day"),
                });
            }
            for (index, pair) in spans.iter().enumerate() {
                let at = format!("{key}[{index}]");
                let span = match pair.as_slice() {
                    [start, end] => match (ClockTime::parse(start), ClockTime::parse(end)) {
                        (Some(start), Some(end)) => Span { start, end },
                        _ => {
                            return Err(HoursError {
                                at,
                                message: "times are written HH:MM, from 00:00 to 24:00".into(),
                            });
                        }
                    },
                    _ => {
                        return Err(HoursError {
                            at,
                            message: "a span is a pair [\"HH:MM\", \"HH:MM\"]".into(),
                        });
                    }
                };
                if span.start >= span.end {
                    return Err(HoursError {
                        at,
                        message: format!("{} does not come before {}", span.start, span.end),
                    });
                }
                if day.last().is_some_and(|before| before.end > span.start) {
                    return Err(HoursError {
                        at,
                        message: "spans must be in order and must not overlap".into(),
                    });
                }
                day.push(span);
            }
        }
        Ok(week)
    }

    /// The week as `(day key, [[start, end], …])`, Monday first.
    pub fn to_pairs(&self) -> Vec<(&'static str, Vec<[String; 2]>)> {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
            .into_iter()
            .zip(DAY_KEYS)
            .map(|(day, key)| {
                let spans = self
                    .day(day)
                    .iter()
                    .map(|s| [s.start.to_string(), s.end.to_string()])
                    .collect();
                (key, spans)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(raw: &[(&str, &str)]) -> Vec<Vec<String>> {
        raw.iter()
            .map(|(a, b)| vec![(*a).to_owned(), (*b).to_owned()])
            .collect()
    }

    #[test]
    fn clock_times_are_hh_mm_up_to_midnight() {
        assert_eq!(ClockTime::parse("09:30").unwrap().minutes(), 570);
        assert_eq!(ClockTime::parse("24:00"), Some(ClockTime::END_OF_DAY));
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "12-30", "", "123:00"] {
            assert_eq!(ClockTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_week_parses_and_round_trips_through_json() {
        let mon = spans(&[("09:00", "12:30"), ("13:30", "17:00")]);
        let week = OpeningHours::parse([("mon", mon.as_slice())]).unwrap();
        assert_eq!(week.mon.len(), 2);
        assert!(week.tue.is_empty());
        let json = serde_json::to_value(&week).unwrap();
        assert_eq!(json["mon"][1], serde_json::json!(["13:30", "17:00"]));
        let back: OpeningHours = serde_json::from_value(json).unwrap();
        assert_eq!(back, week);
    }

    #[test]
    fn each_mistake_names_the_day_and_span() {
        let reversed = spans(&[("17:00", "09:00")]);
        let err = OpeningHours::parse([("tue", reversed.as_slice())]).unwrap_err();
        assert_eq!(err.at, "tue[0]");

        let overlapping = spans(&[("09:00", "12:00"), ("11:00", "13:00")]);
        let err = OpeningHours::parse([("wed", overlapping.as_slice())]).unwrap_err();
        assert_eq!(err.at, "wed[1]");

        let err = OpeningHours::parse([("monday", spans(&[]).as_slice())]).unwrap_err();
        assert_eq!(err.at, "monday");

        let triple = vec![vec!["09:00".to_owned()]];
        let err = OpeningHours::parse([("sun", triple.as_slice())]).unwrap_err();
        assert_eq!(err.at, "sun[0]");
    }
}
