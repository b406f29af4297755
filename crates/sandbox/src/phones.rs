//! What each destination phone has received: a message lands in its inbox when its status
//! becomes `delivered`. Tests read it through the control API; people watch the phone page.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, SecondsFormat, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// How many messages a phone keeps; older ones drop out.
pub(crate) const INBOX_CAPACITY: usize = 500;
/// How many phones are tracked; beyond it the tenth idle longest since its last message is
/// dropped, so a benchmark to random numbers cannot exhaust memory.
pub(crate) const PHONE_CAPACITY: usize = 10_000;

/// A delivered message.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// When the sandbox's Twilio accepted the Create Message request (the message's creation).
    pub created_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// `GET /sandbox/phones/{E164}/messages` item.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReceivedOut {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// RFC 3339 in milliseconds, UTC: when the Create Message request was accepted (the
    /// sender's own cost ends there; the simulated carrier's steps follow).
    pub created_at: String,
    /// RFC 3339 in milliseconds, UTC.
    pub received_at: String,
}

impl From<&Received> for ReceivedOut {
    fn from(received: &Received) -> ReceivedOut {
        ReceivedOut {
            sid: received.sid.clone(),
            from: received.from.clone(),
            to: received.to.clone(),
            body: received.body.clone(),
            created_at: received
                .created_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
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
        if phones.len() > PHONE_CAPACITY {
            // Drop the idlest tenth at once, so the scan is paid once per thousand new phones.
            let mut idle: Vec<_> = phones
                .iter()
                .map(|(phone, inbox)| (inbox.back().map(|last| last.received_at), phone.clone()))
                .collect();
            let cut = PHONE_CAPACITY / 10;
            idle.select_nth_unstable(cut);
            for (_, phone) in &idle[..cut] {
                phones.remove(phone);
            }
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

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn received(to: &str, at: DateTime<Utc>) -> Received {
        Received {
            sid: "SM1".into(),
            from: "+1".into(),
            to: to.into(),
            body: "b".into(),
            created_at: at,
            received_at: at,
        }
    }

    #[test]
    fn inboxes_keep_the_newest_messages_and_drop_idle_phones_beyond_the_cap() {
        let inboxes = Inboxes::default();
        let start = Utc::now();
        for i in 0..INBOX_CAPACITY + 3 {
            inboxes.receive(received("+10", start + Duration::milliseconds(i as i64)));
        }
        assert_eq!(inboxes.messages("+10").len(), INBOX_CAPACITY);
        for i in 1..=PHONE_CAPACITY {
            inboxes.receive(received(
                &format!("+1{i}"),
                start + Duration::seconds(i as i64),
            ));
        }
        let all = inboxes.all();
        assert!(all.len() <= PHONE_CAPACITY);
        assert!(!all.contains_key("+10"), "the idlest phone went first");
        assert!(all.contains_key(&format!("+1{PHONE_CAPACITY}")));
    }
}
