//! One claimed message's attempt: send it, or first find out whether an earlier attempt got
//! through, and turn what Twilio answered into an [`Outcome`].

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Dispatcher;
use super::retry::{Decision, SendFailure};
use crate::outbox::{Claim, MessageStatus, Outcome, millis, now_ms};
use crate::twilio_account::Account;

/// Sorts a client error into the policy's classes (see [`super::retry`] for what each means).
pub fn classify(err: &twilio::Error) -> SendFailure {
    if err.is_ambiguous() {
        return SendFailure::Ambiguous {
            cause: err.to_string(),
            code: None,
        };
    }
    let Some(api) = err.api() else {
        return match err.retry_class() {
            twilio::RetryClass::Transient => SendFailure::Transient {
                cause: err.to_string(),
                code: None,
            },
            _ => SendFailure::Permanent {
                code: None,
                message: err.to_string(),
            },
        };
    };
    if api.code == 20003 {
        return SendFailure::Unauthorized;
    }
    // A body without a Twilio code (a proxy's 502 page) leaves `code` at the HTTP status.
    let twilio_code = (api.code != u32::from(api.http_status)).then_some(api.code);
    if api.http_status == 429 || api.code == 20429 {
        return SendFailure::RateLimited {
            retry_after: api.retry_after,
            code: twilio_code,
        };
    }
    // Any 5xx may be answered after Twilio created the message (an internal error, a gateway
    // that lost the answer, an overloaded front that still passed the request on): as unknown as
    // a timeout. Only a 429 (above) and a refused connection prove nothing was created.
    if api.http_status >= 500 {
        return SendFailure::Ambiguous {
            cause: format!(
                "Twilio answered HTTP {} (code {}), which may come after the message was created",
                api.http_status, api.code
            ),
            code: twilio_code,
        };
    }
    match api.retry_class() {
        twilio::RetryClass::Transient if api.code == 21611 => SendFailure::Later {
            code: api.code,
            message: Some(api.message.clone()),
        },
        twilio::RetryClass::Transient => SendFailure::Transient {
            cause: format!(
                "Twilio answered HTTP {} (code {})",
                api.http_status, api.code
            ),
            code: twilio_code,
        },
        twilio::RetryClass::Permanent | twilio::RetryClass::NeedsConfiguration => {
            SendFailure::Permanent {
                code: Some(api.code),
                message: api.message.clone(),
            }
        }
    }
}

/// Twilio's status word as ours (Twilio's set is the same; an unknown word counts as queued).
pub fn status_of(message: &twilio::Message) -> MessageStatus {
    message
        .status
        .as_str()
        .parse()
        .unwrap_or(MessageStatus::Queued)
}

impl Dispatcher {
    /// Settles what to do with `claim` (reconciling first when an earlier attempt is unknown).
    pub(super) async fn attempt(&self, claim: &Claim, account: &Account) -> Outcome {
        if claim.must_reconcile {
            return self.reconcile(claim, account).await;
        }
        if let Some(expired) = self.expired(claim) {
            return expired;
        }
        self.send(claim, account).await
    }

    async fn send(&self, claim: &Claim, account: &Account) -> Outcome {
        let mut message =
            twilio::NewMessage::new(claim.to.clone(), account.sender.clone(), claim.body.clone());
        message.status_callback = self.callback_url(claim);
        match account.client.create_message(&message).await {
            Ok(created) => Outcome::Accepted {
                sid: created.sid.to_string(),
                status: status_of(&created),
                segments: created.segments().filter(|n| *n > 0),
                attempted: true,
                adopted: false,
            },
            Err(err) => {
                tracing::info!(message_id = %claim.message_id, error = %err, "send attempt failed");
                self.decide(claim, &classify(&err), true)
            }
        }
    }

    /// A message that waited past its max age (a paused credential, a long outage) without
    /// reaching Twilio fails rather than reaching the staff long after the lead went cold.
    fn expired(&self, claim: &Claim) -> Option<Outcome> {
        let max_age = self.config().retry.max_age;
        let age = now_ms().saturating_sub(claim.created_at);
        if age <= millis(max_age) {
            return None;
        }
        Some(Outcome::Failed {
            code: None,
            reason: format!(
                "Not handed to Twilio within {} of being accepted; it was dropped rather than sent late",
                super::retry::age_in_words(max_age)
            ),
            attempted: false,
        })
    }

    /// Applies the retry policy to a failure.
    pub(super) fn decide(&self, claim: &Claim, failure: &SendFailure, attempted: bool) -> Outcome {
        let now = now_ms();
        let age =
            Duration::from_millis(u64::try_from(now.saturating_sub(claim.created_at)).unwrap_or(0));
        let attempts = u32::try_from(claim.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let decision = self
            .config()
            .retry
            .decide(failure, attempts, age, &mut rand::rng());
        match decision {
            Decision::Retry { delay, cause, code } => Outcome::Retry {
                due_at: now.saturating_add(millis(delay)),
                cause,
                attempted,
                code,
            },
            Decision::Fail { code, reason } => Outcome::Failed {
                code,
                reason,
                attempted,
            },
            Decision::PauseCredential { reason } => Outcome::PauseCredential { reason, attempted },
            Decision::Reconcile { cause, code } => Outcome::Reconcile {
                due_at: now.saturating_add(millis(self.config().reconcile_delay)),
                cause: format!("{cause}; checking with Twilio before sending again"),
                attempted,
                code,
            },
        }
    }

    /// An earlier attempt may have reached Twilio: look for it in the account's messages
    /// (same `To`, `From`, day and body). Adopt it if exactly one unknown match exists, send
    /// again if none does, and leave it to a person if several do.
    async fn reconcile(&self, claim: &Claim, account: &Account) -> Outcome {
        let created =
            DateTime::<Utc>::from_timestamp_millis(claim.created_at).unwrap_or_else(Utc::now);
        let query = twilio::MessageQuery {
            to: Some(claim.to.clone()),
            from: match &account.sender {
                twilio::Sender::From(number) => Some(number.clone()),
                twilio::Sender::MessagingService(_) => None,
            },
            date_sent_after: Some(created.date_naive() - TimeDelta::days(1)),
            page_size: Some(1000),
            ..Default::default()
        };
        let mut found = Vec::new();
        let mut page = match account.client.list_messages(&query).await {
            Ok(page) => Some(page),
            Err(err) => return self.reconcile_failed(claim, &err),
        };
        let earliest = created - TimeDelta::minutes(5);
        let mut pages = 0;
        while let Some(current) = page {
            found.extend(
                current
                    .items
                    .iter()
                    .filter(|m| {
                        m.body.as_deref() == Some(claim.body.as_str())
                            && m.to.as_deref() == Some(claim.to.as_str())
                            && m.date_created.is_none_or(|at| at >= earliest)
                    })
                    .cloned(),
            );
            pages += 1;
            if pages >= 20 {
                break;
            }
            page = match account.client.next_page(&current).await {
                Ok(next) => next,
                Err(err) => return self.reconcile_failed(claim, &err),
            };
        }
        let sids: Vec<String> = found.iter().map(|m| m.sid.to_string()).collect();
        let known = match self.outbox().known_sids(&sids).await {
            Ok(known) => known,
            Err(err) => {
                tracing::warn!(message_id = %claim.message_id, error = %err, "cannot read known SIDs; reconciling later");
                let failure = SendFailure::Transient {
                    cause: "database unavailable while reconciling".to_owned(),
                    code: None,
                };
                return self.reconcile_again(claim, &failure);
            }
        };
        let unknown: Vec<&twilio::Message> = found
            .iter()
            .filter(|m| !known.contains(&m.sid.to_string()))
            .collect();
        match unknown.as_slice() {
            [] => {
                if let Some(expired) = self.expired(claim) {
                    return expired;
                }
                tracing::info!(message_id = %claim.message_id, "not in Twilio's records: sending again");
                self.send(claim, account).await
            }
            [one] => Outcome::Accepted {
                sid: one.sid.to_string(),
                status: status_of(one),
                segments: one.segments().filter(|n| *n > 0),
                attempted: false,
                adopted: true,
            },
            many => Outcome::NeedsAttention {
                reason: format!(
                    "An earlier attempt may have been sent: Twilio holds {} messages with this text to this number. \
                     Check the Twilio console before sending it again.",
                    many.len()
                ),
            },
        }
    }

    fn reconcile_failed(&self, claim: &Claim, err: &twilio::Error) -> Outcome {
        tracing::info!(message_id = %claim.message_id, error = %err, "listing messages for reconciliation failed");
        match classify(err) {
            SendFailure::Unauthorized => self.decide(claim, &SendFailure::Unauthorized, false),
            // Listing changes nothing at Twilio, so a list that failed ambiguously is simply
            // tried again.
            SendFailure::Ambiguous { cause, code } => {
                self.reconcile_again(claim, &SendFailure::Transient { cause, code })
            }
            failure => self.reconcile_again(claim, &failure),
        }
    }

    /// Reconciling itself failed: try again later; past the max age, hand it to a person
    /// (failing it could hide a text that did go out).
    fn reconcile_again(&self, claim: &Claim, failure: &SendFailure) -> Outcome {
        let cause = match failure {
            SendFailure::Transient { cause, .. } | SendFailure::Ambiguous { cause, .. } => {
                cause.clone()
            }
            SendFailure::RateLimited { .. } => "Twilio answered 429".to_owned(),
            SendFailure::Later { code, .. }
            | SendFailure::Permanent {
                code: Some(code), ..
            } => format!("Twilio error {code}"),
            SendFailure::Permanent { message, .. } => message.clone(),
            SendFailure::Unauthorized => "Twilio rejected the credentials".to_owned(),
        };
        match self.decide(claim, failure, false) {
            Outcome::Retry {
                due_at,
                cause,
                code,
                ..
            } => Outcome::Reconcile {
                due_at,
                cause,
                attempted: false,
                code,
            },
            _ => Outcome::NeedsAttention {
                reason: format!(
                    "Could not check with Twilio whether an earlier attempt was sent ({cause}); check the Twilio console"
                ),
            },
        }
    }

    /// Where Twilio reports this message's status: our public URL, the org and message in the
    /// path, and the per-message token in the query (see `http::status_callbacks`).
    pub(super) fn callback_url(&self, claim: &Claim) -> Option<String> {
        let base = self.config().public_url.as_deref()?;
        Some(format!(
            "{}/twilio/status/{}/{}?t={}",
            base.trim_end_matches('/'),
            claim.org_id,
            claim.message_id,
            claim.callback_token
        ))
    }
}
