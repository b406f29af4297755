//! What each destination phone has received: a message lands in its inbox when its status
//! becomes `delivered`. Tests read it through the control API; people watch the phone page.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, SecondsFormat, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// How many messages a phone keeps; older ones drop out.
pub(crate) const INBOX_CAPACITY: usize = 500;

/// A delivered message.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

/// `GET /sandbox/phones/{E164}/messages` item.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReceivedOut {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// RFC 3339, UTC.
    pub received_at: String,
}

impl From<&Received> for ReceivedOut {
    fn from(received: &Received) -> ReceivedOut {
        ReceivedOut {
            sid: received.sid.clone(),
            from: received.from.clone(),
            to: received.to.clone(),
            body: received.body.clone(),
            received_at: received
                .received_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }
}

/// Every phone's inbox, oldest message first.
#[derive(Debug, Default)]
pub(crate) struct Inboxes {
    phones: Mutex<BTreeMap<String, VecDeque<Received>>>,
}

impl Inboxes {
    pub fn receive(&self, received: Received) {
        let mut phones = self.phones.lock();
        let inbox = phones.entry(received.to.clone()).or_default();
        inbox.push_back(received);
        while inbox.len() > INBOX_CAPACITY {
            inbox.pop_front();
        }
    }

    /// What `phone` received, newest last.
    pub fn messages(&self, phone: &str) -> Vec<ReceivedOut> {
        self.phones
            .lock()
            .get(phone)
            .map(|inbox| inbox.iter().map(ReceivedOut::from).collect())
            .unwrap_or_default()
    }

    /// Every phone with its messages, newest last.
    pub fn all(&self) -> BTreeMap<String, Vec<ReceivedOut>> {
        self.phones
            .lock()
            .iter()
            .map(|(phone, inbox)| (phone.clone(), inbox.iter().map(ReceivedOut::from).collect()))
            .collect()
    }
}
