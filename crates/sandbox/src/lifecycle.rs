//! The asynchronous life of each message: `(accepted →) queued → sending → sent → delivered`, or
//! `undelivered` with a 30xxx code for the scenario phones, one step per `step_delay`.
//!
//! One scheduler task drives every message from a timer heap, so a create costs a channel send,
//! not a task. Each step updates the message under its account's lock, then (outside the lock)
//! queues the status callback and, on delivery, fills the recipient's inbox.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::accounts::Account;
use crate::callbacks::{Dispatcher, Job};
use crate::dates::raw_dlr_done_date;
use crate::messages::{Message, Status};
use crate::phones::{Inboxes, Received};
use crate::scenarios::Outcome;

/// Hands new messages to the scheduler.
pub(crate) struct Lifecycle {
    queue: mpsc::UnboundedSender<(Arc<Account>, u64)>,
}

impl Lifecycle {
    pub fn start(
        step_delay: Duration,
        inboxes: Arc<Inboxes>,
        callbacks: Dispatcher,
        stopped: watch::Receiver<bool>,
    ) -> (Lifecycle, JoinHandle<()>) {
        let (queue, incoming) = mpsc::unbounded_channel();
        let scheduler = Scheduler {
            step_delay,
            inboxes,
            callbacks,
            heap: BinaryHeap::new(),
            order: 0,
        };
        let task = tokio::spawn(scheduler.run(incoming, stopped));
        (Lifecycle { queue }, task)
    }

    /// Starts the life of message `seq` of `account`: its first step comes after `step_delay`.
    pub fn schedule(&self, account: Arc<Account>, seq: u64) {
        let _ = self.queue.send((account, seq));
    }
}

/// A step due at `at`; `order` keeps equal deadlines first-in first-out.
struct Due {
    at: Instant,
    order: u64,
    account: Arc<Account>,
    seq: u64,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

struct Scheduler {
    step_delay: Duration,
    inboxes: Arc<Inboxes>,
    callbacks: Dispatcher,
    heap: BinaryHeap<Reverse<Due>>,
    order: u64,
}

impl Scheduler {
    async fn run(
        mut self,
        mut incoming: mpsc::UnboundedReceiver<(Arc<Account>, u64)>,
        mut stopped: watch::Receiver<bool>,
    ) {
        loop {
            let next = self.heap.peek().map(|Reverse(due)| due.at);
            tokio::select! {
                () = crate::server::stop_requested(&mut stopped) => return,
                received = incoming.recv() => match received {
                    Some((account, seq)) => {
                        self.push(Instant::now() + self.step_delay, account, seq);
                        while let Ok((account, seq)) = incoming.try_recv() {
                            self.push(Instant::now() + self.step_delay, account, seq);
                        }
                    }
                    None => return,
                },
                () = sleep_until(next) => self.run_due(),
            }
        }
    }

    fn push(&mut self, at: Instant, account: Arc<Account>, seq: u64) {
        self.order += 1;
        self.heap.push(Reverse(Due {
            at,
            order: self.order,
            account,
            seq,
        }));
    }

    fn run_due(&mut self) {
        let now = Instant::now();
        // The steps due now, taken first: a next step is never run in the pass that scheduled
        // it, so one message never skips through its life at once (its callbacks go out one
        // pass apart, in order).
        let mut due_now = Vec::new();
        while self.heap.peek().is_some_and(|Reverse(due)| due.at <= now) {
            let Some(Reverse(due)) = self.heap.pop() else {
                break;
            };
            due_now.push(due);
        }
        for due in due_now {
            if self.advance(&due.account, due.seq) {
                let next = if self.step_delay.is_zero() {
                    // No carrier delay: the next pass, which the run loop starts without a
                    // timer (tokio's timers tick in whole milliseconds, which would add a
                    // millisecond or two a step to what a benchmark measures of the service).
                    now
                } else {
                    // From the step's scheduled time, not from now: the timer wakes up to a
                    // millisecond late, and a carrier's schedule should not drift by that at
                    // every step. A scheduler that fell behind runs the next step a millisecond
                    // on.
                    (due.at + self.step_delay).max(now + Duration::from_millis(1))
                };
                self.push(next, due.account, due.seq);
            }
        }
    }

    /// Moves the message one step; returns whether another step follows.
    fn advance(&self, account: &Account, seq: u64) -> bool {
        let now = Utc::now();
        let mut log = account.messages.lock();
        let Some(message) = log.get_seq_mut(seq) else {
            return false; // deleted or evicted
        };
        let Some(next) = next_status(message) else {
            return false;
        };
        message.status = next;
        message.date_updated = now;
        if next == Status::Sent {
            message.priced = true;
        }
        if let (
            Status::Undelivered,
            Outcome::Undelivered {
                code,
                message: text,
            },
        ) = (next, message.outcome)
        {
            message.error = Some((code, text));
        }
        let callback = message.status_callback.as_ref().map(|url| Job {
            url: url.clone(),
            params: callback_params(message, now),
            auth_token: account.auth_token().to_owned(),
        });
        let received = (next == Status::Delivered).then(|| Received {
            sid: message.sid.clone(),
            from: message.sender.clone(),
            to: message.to.clone(),
            body: message.body.clone(),
            created_at: message.date_created,
            received_at: now,
        });
        let more = next_status(message).is_some();
        drop(log);
        if let Some(job) = callback {
            self.callbacks.send(seq, job);
        }
        if let Some(received) = received {
            self.inboxes.receive(received);
        }
        more
    }
}

/// The status after the current one, or `None` when the message has reached its end.
fn next_status(message: &Message) -> Option<Status> {
    match (message.status, message.outcome) {
        (Status::Accepted, _) => Some(Status::Queued),
        (Status::Queued, _) => Some(Status::Sending),
        (Status::Sending, _) => Some(Status::Sent),
        (Status::Sent, Outcome::Delivered) => Some(Status::Delivered),
        (Status::Sent, Outcome::Undelivered { .. }) => Some(Status::Undelivered),
        (Status::Sent, Outcome::StaysSent) | (Status::Delivered | Status::Undelivered, _) => None,
    }
}

/// The form fields of a status callback, as Twilio sends them.
fn callback_params(message: &Message, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let status = message.status.as_str().to_owned();
    let mut params = vec![
        ("MessageSid", message.sid.clone()),
        ("SmsSid", message.sid.clone()),
        ("MessageStatus", status.clone()),
        ("SmsStatus", status),
        ("AccountSid", message.account_sid.clone()),
        ("From", message.sender.clone()),
        ("To", message.to.clone()),
        ("ApiVersion", "2010-04-01".to_owned()),
    ];
    if let Some(mg) = &message.messaging_service_sid {
        params.push(("MessagingServiceSid", mg.clone()));
    }
    if let Some((code, text)) = message.error {
        params.push(("ErrorCode", code.to_string()));
        params.push(("ErrorMessage", text.to_owned()));
    }
    if matches!(message.status, Status::Delivered | Status::Undelivered) {
        params.push(("RawDlrDoneDate", raw_dlr_done_date(now)));
    }
    params
}

/// Waits until `at`; a time already reached only yields (a timer would round it up to the
/// next millisecond tick).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) if at <= Instant::now() => tokio::task::yield_now().await,
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
