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

    /// The position on the outbound path, as `twilio::MessageStatus::rank` has it (the one rank
    /// table); stored in `messages.status_rank`, and a message never moves to a lower rank.
    pub fn rank(self) -> u8 {
        twilio::MessageStatus::from(self).rank()
    }

    /// Whether no further change is expected (the reconciler stops looking at it).
    pub fn is_final(self) -> bool {
        twilio::MessageStatus::from(self).is_final()
    }
}

impl From<MessageStatus> for twilio::MessageStatus {
    fn from(status: MessageStatus) -> Self {
        match status {
            MessageStatus::Queued => Self::Queued,
            MessageStatus::Accepted => Self::Accepted,
            MessageStatus::Scheduled => Self::Scheduled,
            MessageStatus::Sending => Self::Sending,
            MessageStatus::Sent => Self::Sent,
            MessageStatus::Delivered => Self::Delivered,
            MessageStatus::Undelivered => Self::Undelivered,
            MessageStatus::Failed => Self::Failed,
            MessageStatus::Canceled => Self::Canceled,
            MessageStatus::Read => Self::Read,
            MessageStatus::PartiallyDelivered => Self::PartiallyDelivered,
        }
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

    /// Whether `next` would be recorded over `current`, by the one rank table.
    fn advances(next: MessageStatus, current: MessageStatus) -> bool {
        twilio::MessageStatus::from(next).advances(current.into())
    }

    #[test]
    fn a_late_sent_after_delivered_is_not_a_step_forward() {
        assert!(!advances(MessageStatus::Sent, MessageStatus::Delivered));
        assert!(!advances(MessageStatus::Sending, MessageStatus::Delivered));
        assert!(advances(MessageStatus::Delivered, MessageStatus::Sent));
    }

    #[test]
    fn the_first_final_status_wins_over_another_final_status() {
        assert!(!advances(
            MessageStatus::Undelivered,
            MessageStatus::Delivered
        ));
        assert!(!advances(MessageStatus::Delivered, MessageStatus::Failed));
        assert!(advances(MessageStatus::Read, MessageStatus::Delivered));
    }

    #[test]
    fn the_same_status_twice_is_not_a_step_forward() {
        for status in MessageStatus::ALL {
            assert!(!advances(status, status));
        }
    }

    #[test]
    fn each_status_is_twilios_status_of_the_same_name() {
        for status in MessageStatus::ALL {
            assert_eq!(
                twilio::MessageStatus::from(status).as_str(),
                status.as_str()
            );
        }
    }

    #[test]
    fn exactly_the_final_statuses_rank_six_or_more_as_the_stuck_message_query_assumes() {
        // `Outbox::stuck` selects `status_rank < 6`: the unfinished messages.
        for status in MessageStatus::ALL {
            assert_eq!(status.is_final(), status.rank() >= 6, "{status}");
        }
    }

    #[test]
    fn an_unknown_status_name_is_refused_with_the_accepted_names() {
        let err = "deliverd".parse::<MessageStatus>().unwrap_err();
        assert!(err.to_string().contains("delivered"));
    }
}
