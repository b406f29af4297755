//! Messages: create, fetch, list (with filters and paging) and delete.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::page::{Listed, Page};
use crate::sid::{AccountSid, MessageSid, MessagingServiceSid};

/// `message_enum_status`, ranked so that out-of-order callbacks never move a message backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Accepted,
    Scheduled,
    Read,
    PartiallyDelivered,
    Canceled,
    /// A value newer than this client: ranks lowest so it never overrides a known status.
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    /// Every status of the spec, in declaration order.
    pub const ALL: [MessageStatus; 13] = [
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Failed,
        Self::Delivered,
        Self::Undelivered,
        Self::Receiving,
        Self::Received,
        Self::Accepted,
        Self::Scheduled,
        Self::Read,
        Self::PartiallyDelivered,
        Self::Canceled,
    ];

    /// Position in the life cycle `accepted|scheduled → queued → sending → sent → delivered…`.
    /// Apply an update only when its rank is higher than the stored one.
    pub fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Accepted | Self::Scheduled => 1,
            Self::Queued => 2,
            Self::Sending | Self::Receiving => 3,
            Self::Sent => 4,
            Self::PartiallyDelivered => 5,
            Self::Delivered
            | Self::Undelivered
            | Self::Failed
            | Self::Canceled
            | Self::Received => 6,
            // WhatsApp read receipts come after delivery.
            Self::Read => 7,
        }
    }

    /// Terminal: no further status changes are expected (except `read` after `delivered`).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::Undelivered
                | Self::Failed
                | Self::Canceled
                | Self::Read
                | Self::Received
        )
    }

    /// True when moving from `current` to `self` goes forward.
    pub fn advances(self, current: MessageStatus) -> bool {
        self.rank() > current.rank()
    }

    /// The spelling Twilio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Receiving => "receiving",
            Self::Received => "received",
            Self::Accepted => "accepted",
            Self::Scheduled => "scheduled",
            Self::Read => "read",
            Self::PartiallyDelivered => "partially_delivered",
            Self::Canceled => "canceled",
            Self::Unknown => "unknown",
        }
    }
}

/// `message_enum_direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Inbound,
    OutboundApi,
    OutboundCall,
    OutboundReply,
    #[serde(other)]
    Unknown,
}

/// `api.v2010.account.message`, field names and types as in the spec (note the string counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub sid: MessageSid,
    pub account_sid: AccountSid,
    pub messaging_service_sid: Option<MessagingServiceSid>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub body: Option<String>,
    pub status: MessageStatus,
    pub direction: Option<Direction>,
    pub num_segments: Option<String>,
    pub num_media: Option<String>,
    /// Negative once billed (`"-0.00750"`); `None` until sent.
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_sent: Option<DateTime<Utc>>,
    #[serde(with = "crate::rfc2822::option", default)]
    pub date_updated: Option<DateTime<Utc>>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
    pub subresource_uris: Option<BTreeMap<String, String>>,
}

impl Message {
    /// `num_segments` as a number (Twilio sends a string; "0" while an MG has not picked a sender).
    pub fn segments(&self) -> Option<u32> {
        self.num_segments
            .as_deref()
            .and_then(|s| s.trim().parse().ok())
    }
}

impl Listed for Message {
    const ITEMS_KEY: &'static str = "messages";
}

/// Who sends: a number (or alphanumeric sender) in `From`, or a Messaging Service pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    From(String),
    MessagingService(MessagingServiceSid),
}

/// Create Message parameters (sent form-encoded with Twilio's PascalCase names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub to: String,
    pub sender: Sender,
    pub body: String,
    /// Where Twilio POSTs status changes (signed with `X-Twilio-Signature`).
    pub status_callback: Option<String>,
    /// Seconds Twilio may queue the message (1–36000).
    pub validity_period: Option<u32>,
    /// Let Twilio replace Unicode look-alikes with GSM-7 characters.
    pub smart_encoded: Option<bool>,
}

impl NewMessage {
    pub fn new(to: impl Into<String>, sender: Sender, body: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            sender,
            body: body.into(),
            status_callback: None,
            validity_period: None,
            smart_encoded: None,
        }
    }

    /// The form fields, in Twilio's spelling.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![("To", self.to.clone())];
        match &self.sender {
            Sender::From(from) => form.push(("From", from.clone())),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid.to_string())),
        }
        form.push(("Body", self.body.clone()));
        if let Some(url) = &self.status_callback {
            form.push(("StatusCallback", url.clone()));
        }
        if let Some(secs) = self.validity_period {
            form.push(("ValidityPeriod", secs.to_string()));
        }
        if let Some(smart) = self.smart_encoded {
            form.push(("SmartEncoded", smart.to_string()));
        }
        form
    }
}

/// List Messages filters. Dates are whole days, as Twilio filters them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageQuery {
    pub to: Option<String>,
    pub from: Option<String>,
    /// Sent on this day (`DateSent`).
    pub date_sent: Option<NaiveDate>,
    /// Sent on or before this day (`DateSent<`).
    pub date_sent_before: Option<NaiveDate>,
    /// Sent on or after this day (`DateSent>`).
    pub date_sent_after: Option<NaiveDate>,
    /// 1–1000; Twilio's default is 50.
    pub page_size: Option<u32>,
}

impl MessageQuery {
    /// The query parameters, in Twilio's spelling (`<`/`>` are percent-encoded by the client).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let day = |d: &NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut params = Vec::new();
        if let Some(to) = &self.to {
            params.push(("To", to.clone()));
        }
        if let Some(from) = &self.from {
            params.push(("From", from.clone()));
        }
        if let Some(d) = &self.date_sent {
            params.push(("DateSent", day(d)));
        }
        if let Some(d) = &self.date_sent_before {
            params.push(("DateSent<", day(d)));
        }
        if let Some(d) = &self.date_sent_after {
            params.push(("DateSent>", day(d)));
        }
        if let Some(size) = self.page_size {
            params.push(("PageSize", size.to_string()));
        }
        params
    }
}

impl Client {
    /// Creates (sends) a message. A timeout here is [ambiguous](Error::is_ambiguous): the SMS may
    /// have gone out; look it up with [`Client::list_messages`] before sending again.
    pub async fn create_message(&self, message: &NewMessage) -> Result<Message, Error> {
        let url = self.account_url("/Messages.json");
        self.send_json("create message", self.post(&url).form(&message.form()))
            .await
    }

    pub async fn fetch_message(&self, sid: &MessageSid) -> Result<Message, Error> {
        let url = self.account_url(&format!("/Messages/{sid}.json"));
        self.send_json("fetch message", self.get(&url)).await
    }

    /// The first page of messages matching `query`; follow with [`Client::next_page`].
    pub async fn list_messages(&self, query: &MessageQuery) -> Result<Page<Message>, Error> {
        let url = self.account_url("/Messages.json");
        let body = self
            .send("list messages", self.get(&url).query(&query.params()))
            .await?;
        Page::decode("list messages", &body)
    }

    /// Deletes a message record (Twilio answers 204; an unknown SID gives 404/20404).
    pub async fn delete_message(&self, sid: &MessageSid) -> Result<(), Error> {
        let url = self.account_url(&format!("/Messages/{sid}.json"));
        self.send("delete message", self.delete(&url))
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_only_move_forward_along_the_outbound_life_cycle() {
        use MessageStatus::*;
        let path = [Accepted, Queued, Sending, Sent, Delivered, Read];
        for pair in path.windows(2) {
            assert!(pair[1].advances(pair[0]), "{:?} -> {:?}", pair[0], pair[1]);
            assert!(!pair[0].advances(pair[1]), "{:?} -> {:?}", pair[1], pair[0]);
        }
        assert!(!Undelivered.advances(Delivered) && !Delivered.advances(Undelivered));
        assert!(!Unknown.advances(Queued));
    }

    #[test]
    fn every_spec_status_round_trips_and_finality_matches_the_facts() {
        for status in MessageStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(
                serde_json::from_str::<MessageStatus>(&json).unwrap(),
                status
            );
        }
        let finals: Vec<_> = MessageStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            finals,
            [
                "failed",
                "delivered",
                "undelivered",
                "received",
                "read",
                "canceled"
            ]
        );
    }

    #[test]
    fn the_spec_example_message_decodes_with_string_counts() {
        let hex = "0f".repeat(16);
        let body = serde_json::json!({"account_sid": format!("AC{hex}"),"api_version":"2010-04-01","body":"Hello! 👍",
            "date_created":"Thu, 24 Aug 2023 05:01:45 +0000","date_sent":"Thu, 24 Aug 2023 05:01:45 +0000",
            "date_updated":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api",
            "error_code":null,"error_message":null,"from":"+14155552345","num_media":"0","num_segments":"1",
            "price":null,"price_unit":null,"messaging_service_sid":format!("MG{hex}"),"sid":format!("SM{hex}"),
            "status":"queued","subresource_uris":{"media":"/m"},"to":"+14155552345","uri":"/u"});
        let message: Message = serde_json::from_value(body).unwrap();
        assert_eq!(message.segments(), Some(1));
        assert_eq!(message.direction, Some(Direction::OutboundApi));
        assert_eq!(message.status, MessageStatus::Queued);
        let again: Message =
            serde_json::from_value(serde_json::to_value(&message).unwrap()).unwrap();
        assert_eq!(again, message);
    }

    #[test]
    fn the_form_uses_pascal_case_and_one_sender_field() {
        let sid = MessagingServiceSid::parse(&format!("MG{}", "1".repeat(32))).unwrap();
        let mut m = NewMessage::new("+15551230000", Sender::MessagingService(sid.clone()), "hi");
        m.status_callback = Some("https://cb.example/status".into());
        assert_eq!(
            m.form(),
            vec![
                ("To", "+15551230000".to_owned()),
                ("MessagingServiceSid", sid.to_string()),
                ("Body", "hi".to_owned()),
                ("StatusCallback", "https://cb.example/status".to_owned()),
            ]
        );
    }

    #[test]
    fn date_filters_use_twilios_literal_parameter_names() {
        let q = MessageQuery {
            date_sent_before: NaiveDate::from_ymd_opt(2024, 1, 31),
            date_sent_after: NaiveDate::from_ymd_opt(2024, 1, 1),
            page_size: Some(2),
            ..MessageQuery::default()
        };
        let encoded = serde_urlencoded::to_string(q.params()).unwrap();
        assert_eq!(
            encoded,
            "DateSent%3C=2024-01-31&DateSent%3E=2024-01-01&PageSize=2"
        );
    }
}
