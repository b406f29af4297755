//! A message's delivery status and the order it may move in.
//!
//! Twilio's status callbacks can arrive out of order and more than once, and our own
//! reconciler may learn a status from a fetch at any time. A status therefore carries a rank,
//! and a message only ever moves to a higher rank: a late `sent` after `delivered` is ignored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a message stands, in Twilio's words plus our own `queued` (waiting in our outbox or
/// in Twilio's queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Accepted by us or by Twilio, not yet handed to a carrier.
    Queued,
    /// Twilio accepted it through a Messaging Service (no sender chosen yet).
    Accepted,
    /// Scheduled for later by Twilio.
    Scheduled,
    /// Twilio is handing it to the carrier.
    Sending,
    /// The carrier has it; no delivery receipt yet.
    Sent,
    /// The handset has it.
    Delivered,
    /// The carrier could not deliver it (see `error_code`).
    Undelivered,
    /// It was never sent: refused by Twilio or by us (see `reason`).
    Failed,
    /// Canceled before sending (scheduled messages only).
    Canceled,
    /// Read by the recipient (WhatsApp only).
    Read,
    /// Part of a multi-part message was delivered.
    PartiallyDelivered,
}

impl MessageStatus {
    /// Every status, for parsing and for documentation.
    pub const ALL: [MessageStatus; 11] = [
        Self::Queued,
        Self::Accepted,
        Self::Scheduled,
        Self::Sending,
        Self::Sent,
        Self::Delivered,
        Self::Undelivered,
        Self::Failed,
        Self::Canceled,
        Self::Read,
        Self::PartiallyDelivered,
    ];

    /// The wire name (`"delivered"`), as Twilio spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Accepted => "accepted",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Read => "read",
            Self::PartiallyDelivered => "partially_delivered",
        }
    }

    /// The position on the outbound path; a message never moves to a lower rank.
    ///
    /// All final outcomes share one rank so the first final word wins; `read` sits above
    /// `delivered` because it can only follow it.
    pub fn rank(self) -> u8 {
        match self {
            Self::Queued | Self::Accepted | Self::Scheduled => 0,
            Self::Sending => 1,
            Self::Sent => 2,
            Self::PartiallyDelivered => 3,
            Self::Delivered | Self::Undelivered | Self::Failed | Self::Canceled => 4,
            Self::Read => 5,
        }
    }

    /// Whether no further change is expected (the reconciler stops looking at it).
    pub fn is_final(self) -> bool {
        self.rank() >= 4
    }

    /// Whether moving from `self` to `next` is a step forward (and so should be recorded).
    pub fn advances_to(self, next: MessageStatus) -> bool {
        next.rank() > self.rank()
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is none of Twilio's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown message status {0:?}; expected one of queued, accepted, scheduled, sending, sent, delivered, undelivered, failed, canceled, read, partially_delivered"
)]
pub struct UnknownStatus(pub String);

impl FromStr for MessageStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_parses_back_from_its_wire_name() {
        for status in MessageStatus::ALL {
            assert_eq!(status.as_str().parse::<MessageStatus>(), Ok(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn a_late_sent_after_delivered_is_not_a_step_forward() {
        assert!(!MessageStatus::Delivered.advances_to(MessageStatus::Sent));
        assert!(!MessageStatus::Delivered.advances_to(MessageStatus::Sending));
        assert!(MessageStatus::Sent.advances_to(MessageStatus::Delivered));
    }

    #[test]
    fn the_first_final_status_wins_over_another_final_status() {
        assert!(!MessageStatus::Delivered.advances_to(MessageStatus::Undelivered));
        assert!(!MessageStatus::Failed.advances_to(MessageStatus::Delivered));
        assert!(MessageStatus::Delivered.advances_to(MessageStatus::Read));
    }

    #[test]
    fn the_same_status_twice_is_not_a_step_forward() {
        for status in MessageStatus::ALL {
            assert!(!status.advances_to(status));
        }
    }

    #[test]
    fn an_unknown_status_name_is_refused_with_the_accepted_names() {
        let err = "deliverd".parse::<MessageStatus>().unwrap_err();
        assert!(err.to_string().contains("delivered"));
    }
}
