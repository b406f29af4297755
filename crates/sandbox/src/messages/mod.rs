//! Messages: the stored resource, its status, and each account's log of them.

mod create;
mod query;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub(crate) use self::create::{CreateRequest, is_e164, validate_live, validate_test};
pub(crate) use self::query::ListFilter;
use crate::dates::rfc2822;
use crate::ids;
use crate::scenarios::Outcome;
use crate::wire::MessageOut;

/// How many messages an account keeps; the oldest are evicted beyond it so a long benchmark
/// cannot exhaust memory.
pub(crate) const LOG_CAPACITY: usize = 100_000;

/// Price per segment once a message is sent, in 1/100000 USD (Twilio's US rate, "-0.00790").
const PRICE_PER_SEGMENT: u64 = 790;

/// `message_enum_status`, the subset an outbound message goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Accepted,
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Undelivered => "undelivered",
        }
    }
}

/// One outbound message as the sandbox keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub seq: u64,
    pub sid: String,
    pub account_sid: String,
    /// The sender; with a Messaging Service it is picked at creation but shown only from
    /// `queued` on, as Twilio assigns it then.
    pub sender: String,
    pub to: String,
    pub body: String,
    pub messaging_service_sid: Option<String>,
    pub status: Status,
    pub segments: u32,
    pub error: Option<(u32, &'static str)>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub priced: bool,
    pub status_callback: Option<String>,
    pub outcome: Outcome,
}

impl Message {
    pub fn uri(&self) -> String {
        format!(
            "/2010-04-01/Accounts/{}/Messages/{}.json",
            self.account_sid, self.sid
        )
    }

    /// The spec's JSON shape.
    pub fn to_wire(&self) -> MessageOut {
        let assigned = self.status != Status::Accepted;
        let mut subresource_uris = BTreeMap::new();
        subresource_uris.insert(
            "media",
            format!(
                "/2010-04-01/Accounts/{}/Messages/{}/Media.json",
                self.account_sid, self.sid
            ),
        );
        subresource_uris.insert(
            "feedback",
            format!(
                "/2010-04-01/Accounts/{}/Messages/{}/Feedback.json",
                self.account_sid, self.sid
            ),
        );
        MessageOut {
            account_sid: self.account_sid.clone(),
            api_version: "2010-04-01",
            body: self.body.clone(),
            date_created: rfc2822(self.date_created),
            date_sent: Some(rfc2822(self.date_created)),
            date_updated: rfc2822(self.date_updated),
            direction: "outbound-api",
            error_code: self.error.map(|(code, _)| code),
            error_message: self.error.map(|(_, message)| message),
            from: assigned.then(|| self.sender.clone()),
            messaging_service_sid: self.messaging_service_sid.clone(),
            num_media: "0",
            num_segments: if assigned {
                self.segments.to_string()
            } else {
                "0".into()
            },
            price: self.priced.then(|| price(self.segments)),
            price_unit: self.priced.then_some("USD"),
            sid: self.sid.clone(),
            status: self.status.as_str(),
            subresource_uris,
            to: self.to.clone(),
            uri: self.uri(),
        }
    }
}

/// `-0.00790` per segment, with Twilio's five decimals.
fn price(segments: u32) -> String {
    let cents = PRICE_PER_SEGMENT * u64::from(segments);
    format!("-{}.{:05}", cents / 100_000, cents % 100_000)
}

/// An account's messages in creation order, keyed by sequence number (which the SID carries).
#[derive(Debug, Default)]
pub(crate) struct MessageLog {
    by_seq: BTreeMap<u64, Message>,
}

impl MessageLog {
    /// Stores a message, evicting the oldest beyond [`LOG_CAPACITY`].
    pub fn insert(&mut self, message: Message) {
        self.by_seq.insert(message.seq, message);
        while self.by_seq.len() > LOG_CAPACITY {
            self.by_seq.pop_first();
        }
    }

    pub fn get(&self, sid: &str) -> Option<&Message> {
        let seq = ids::seq_of(sid)?;
        self.by_seq.get(&seq).filter(|m| m.sid == sid)
    }

    pub fn get_seq_mut(&mut self, seq: u64) -> Option<&mut Message> {
        self.by_seq.get_mut(&seq)
    }

    pub fn remove(&mut self, sid: &str) -> bool {
        match ids::seq_of(sid) {
            Some(seq) if self.by_seq.get(&seq).is_some_and(|m| m.sid == sid) => {
                self.by_seq.remove(&seq);
                true
            }
            _ => false,
        }
    }

    /// Newest first, as Twilio lists them.
    pub fn newest_first(&self) -> impl Iterator<Item = &Message> {
        self.by_seq.values().rev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_have_five_decimals_and_a_minus_sign() {
        assert_eq!(price(1), "-0.00790");
        assert_eq!(price(3), "-0.02370");
        assert_eq!(price(200), "-1.58000");
    }
}
