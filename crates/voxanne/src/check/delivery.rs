//! Following a test text from Twilio's acceptance to its final status.
//!
//! Twilio answers a create with `queued` (or `accepted` for a Messaging Service): that only says
//! Twilio took the request. Whether the carrier delivered it comes later, and a command-line run
//! cannot receive Twilio's status callbacks, so the message is fetched (GET Message) until it is
//! `delivered`, `undelivered` or `failed`, or until the deadline passes. The clock starts at the
//! create request, so the deadline is the plan's "delivers within 5 seconds" end to end.

use std::time::Duration;

use tokio::time::Instant;
use twilio::MessageStatus;

use super::{Context, Explanation, explain, may_retry};

/// The plan's target: a test text is delivered within 5 seconds of the request.
pub const DEFAULT_DELIVER_WITHIN: Duration = Duration::from_secs(5);

/// The first status fetch comes this long after the create; each later one waits
/// [`POLL_STEP`] longer, up to [`POLL_MAX`]. A text usually arrives in well under a second, so the
/// first polls are close together; a slow one is then fetched four times a second at most.
const POLL_FIRST: Duration = Duration::from_millis(100);
const POLL_STEP: Duration = Duration::from_millis(50);
const POLL_MAX: Duration = Duration::from_millis(250);
/// The last fetch is sent this long before the deadline, so Twilio's answer can still count.
const LAST_POLL_LEAD: Duration = Duration::from_millis(150);

/// Whether, and how long, the SMS checks follow their test texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stop at Twilio's acceptance (`voxanne check twilio --no-wait`).
    NoWait,
    /// Follow each text until it is delivered, fails, or this long after its request.
    Within(Duration),
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery::Within(DEFAULT_DELIVER_WITHIN)
    }
}

/// The last state of a test text that was seen.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub status: MessageStatus,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
}

impl Seen {
    pub fn of(message: &twilio::Message) -> Self {
        Self {
            status: message.status,
            error_code: message.error_code,
            error_message: message.error_message.clone(),
        }
    }

    fn failed(&self) -> bool {
        matches!(
            self.status,
            MessageStatus::Failed | MessageStatus::Undelivered | MessageStatus::Canceled
        )
    }

    fn delivered(&self) -> bool {
        // `read` (WhatsApp) comes only after `delivered`.
        matches!(self.status, MessageStatus::Delivered | MessageStatus::Read)
    }
}

/// How following a test text ended.
#[derive(Debug, Clone)]
pub(super) enum Followed {
    /// Not followed (`--no-wait`): Twilio's answer to the create is all there is.
    AcceptedOnly(Seen),
    /// Confirmed delivered; `after` runs from the request to the answer that said so.
    Delivered { after: Duration },
    /// `undelivered`, `failed` or `canceled`, with Twilio's error code when it gave one.
    Failed(Seen),
    /// No final status by the deadline. `trouble` explains why the status could not be read,
    /// when the last fetch failed (or a fetch failed for good and following stopped).
    NotConfirmed {
        last: Seen,
        within: Duration,
        trouble: Option<Explanation>,
    },
}

impl Followed {
    /// The last status seen: what the report calls the test text's final status.
    pub fn status(&self) -> MessageStatus {
        match self {
            Followed::AcceptedOnly(seen) | Followed::Failed(seen) => seen.status,
            Followed::Delivered { .. } => MessageStatus::Delivered,
            Followed::NotConfirmed { last, .. } => last.status,
        }
    }
}

/// Classifies Twilio's answer to the create without following it further.
pub(super) fn accepted_only(accepted: &twilio::Message) -> Followed {
    let seen = Seen::of(accepted);
    if seen.failed() {
        Followed::Failed(seen)
    } else {
        Followed::AcceptedOnly(seen)
    }
}

/// Fetches the message until it reaches a final status or `requested + within` passes. Every
/// fetch is bounded by the deadline; one that fails transiently is tried again at the next poll.
pub(super) async fn follow(
    client: &twilio::Client,
    accepted: &twilio::Message,
    requested: Instant,
    within: Duration,
    ctx: &Context<'_>,
) -> Followed {
    let deadline = requested + within;
    let mut last = Seen::of(accepted);
    let mut pause = POLL_FIRST;
    let mut trouble = None;
    loop {
        if last.delivered() {
            return Followed::Delivered {
                after: requested.elapsed(),
            };
        }
        if last.failed() {
            return Followed::Failed(last);
        }
        let now = Instant::now();
        if now >= deadline {
            return Followed::NotConfirmed {
                last,
                within,
                trouble,
            };
        }
        let mut at = now + pause;
        if at + LAST_POLL_LEAD >= deadline {
            at = deadline
                .checked_sub(LAST_POLL_LEAD)
                .unwrap_or(deadline)
                .max(now);
        }
        tokio::time::sleep_until(at).await;
        pause = (pause + POLL_STEP).min(POLL_MAX);
        let fetched = tokio::time::timeout_at(deadline, client.fetch_message(&accepted.sid)).await;
        match fetched {
            Ok(Ok(message)) => {
                // Out-of-order reads (replicas) must not move the status backwards.
                if message.status.advances(last.status) {
                    last = Seen::of(&message);
                }
                trouble = None;
            }
            Ok(Err(err)) if may_retry(&err, true) => trouble = Some(explain(&err, ctx)),
            Ok(Err(err)) => {
                return Followed::NotConfirmed {
                    last,
                    within,
                    trouble: Some(explain(&err, ctx)),
                };
            }
            // The deadline passed during the fetch: the next turn reports it.
            Err(_elapsed) => {}
        }
    }
}

/// "0.24 s", "1.5 s", "12 s", and a whole deadline as "5 s": durations as people read them.
pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else if secs < 1.0 {
        format!("{secs:.2} s")
    } else if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{secs:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_sensible_precision() {
        assert_eq!(seconds(Duration::from_millis(237)), "0.24 s");
        assert_eq!(seconds(Duration::from_millis(1520)), "1.5 s");
        assert_eq!(seconds(Duration::from_millis(9_960)), "10.0 s");
        assert_eq!(seconds(Duration::from_millis(12_300)), "12 s");
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
    }

    #[test]
    fn an_accepted_text_that_twilio_already_failed_is_a_failure_without_following() {
        let mut seen = Seen {
            status: MessageStatus::Queued,
            error_code: None,
            error_message: None,
        };
        assert!(!seen.failed() && !seen.delivered());
        seen.status = MessageStatus::Failed;
        assert!(seen.failed());
        seen.status = MessageStatus::Read;
        assert!(seen.delivered());
    }
}
