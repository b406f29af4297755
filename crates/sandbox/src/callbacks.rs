//! StatusCallback delivery: form-encoded POSTs signed with `X-Twilio-Signature` as Twilio signs
//! them, sent best-effort (one attempt, short timeout) off the request path.
//!
//! Jobs are sharded by message over a few workers, each sending in order, so one message's
//! callbacks arrive in status order while a slow receiver delays only its shard.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::ids;

const WORKERS: usize = 16;
const TIMEOUT: Duration = Duration::from_secs(2);

/// One callback to send.
pub(crate) struct Job {
    pub url: String,
    pub params: Vec<(&'static str, String)>,
    /// The account's live auth token: Twilio signs callbacks with it.
    pub auth_token: String,
}

/// Queues jobs to the workers.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    shards: Vec<mpsc::UnboundedSender<Job>>,
}

impl Dispatcher {
    pub fn start(stopped: watch::Receiver<bool>) -> (Dispatcher, Vec<JoinHandle<()>>) {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .user_agent("TwilioProxy/1.1")
            .build()
            .ok();
        let (shards, workers) = (0..WORKERS)
            .map(|_| {
                let (queue, jobs) = mpsc::unbounded_channel();
                (
                    queue,
                    tokio::spawn(worker(jobs, client.clone(), stopped.clone())),
                )
            })
            .unzip();
        (Dispatcher { shards }, workers)
    }

    /// Queues `job`; jobs with the same `key` (the message) are sent in order.
    pub fn send(&self, key: u64, job: Job) {
        let index = usize::try_from(key).unwrap_or_default() % self.shards.len().max(1);
        if let Some(shard) = self.shards.get(index) {
            let _ = shard.send(job);
        }
    }
}

async fn worker(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    client: Option<reqwest::Client>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let job = tokio::select! {
            () = crate::server::stop_requested(&mut stopped) => return,
            job = jobs.recv() => match job { Some(job) => job, None => return },
        };
        let Some(client) = &client else { continue };
        let signature = sign(&job.auth_token, &job.url, &job.params);
        let Ok(body) = serde_urlencoded::to_string(&job.params) else {
            continue;
        };
        let sent = client
            .post(&job.url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .header("I-Twilio-Idempotency-Token", ids::token())
            .body(body)
            .send()
            .await;
        if let Err(error) = sent {
            tracing::debug!(%error, "status callback not delivered");
        }
    }
}

/// `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, url + each name+value in sorted order)).
pub(crate) fn sign(auth_token: &str, url: &str, params: &[(&str, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut payload = String::from(url);
    for (name, value) in sorted {
        payload.push_str(name);
        payload.push_str(value);
    }
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) else {
        return String::new(); // HMAC takes keys of any length; not reached
    };
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Twilio's security docs (twilio.com/docs/usage/security), with the values
    /// generated there; the token here is the docs' published sample, not a credential.
    #[test]
    fn signature_matches_twilios_documented_example() {
        let token = "12345";
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = [
            ("CallSid", "CA1234567890ABCDE".to_owned()),
            ("Caller", "+12349013030".to_owned()),
            ("Digits", "1234".to_owned()),
            ("From", "+12349013030".to_owned()),
            ("To", "+18005551212".to_owned()),
        ];
        assert_eq!(sign(token, url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn parameter_order_does_not_change_the_signature() {
        let a = [("B", "2".to_owned()), ("A", "1".to_owned())];
        let b = [("A", "1".to_owned()), ("B", "2".to_owned())];
        assert_eq!(sign("k", "http://h/x", &a), sign("k", "http://h/x", &b));
        assert_ne!(sign("k", "http://h/x", &a), sign("j", "http://h/x", &a));
    }
}
