//! The periodic reconciler: asks Twilio about messages that stopped short of a final status
//! (a lost callback, no public URL, a carrier without receipts), as Twilio itself recommends.

use super::Dispatcher;
use crate::ids::{CredentialId, OrgId};
use crate::outbox::{MessageStatus, StatusApplied, StatusReport, millis, now_ms, reason};

impl Dispatcher {
    /// Fetches up to 100 quiet, unfinished messages from Twilio and applies their status.
    /// Returns how many moved forward.
    pub async fn reconcile_stuck_once(&self) -> Result<usize, super::DispatchError> {
        let quiet_since = now_ms().saturating_sub(millis(self.config().stuck_after));
        Ok(self.reconcile_quiet_since(quiet_since).await?.1)
    }

    /// After a start: every unfinished message not updated since `started_at` is fetched from
    /// Twilio at once (their callbacks may have arrived while no process listened), in batches
    /// until none is left. Returns how many moved forward.
    pub async fn catch_up(&self, started_at: i64) -> Result<usize, super::DispatchError> {
        let mut advanced = 0;
        loop {
            let (seen, moved) = self.reconcile_quiet_since(started_at).await?;
            advanced += moved;
            if seen == 0 {
                return Ok(advanced);
            }
        }
    }

    /// One batch of unfinished messages quiet since `quiet_since`: (how many were looked at,
    /// how many moved forward). Each one looked at is touched, so it leaves the batch.
    async fn reconcile_quiet_since(
        &self,
        quiet_since: i64,
    ) -> Result<(usize, usize), super::DispatchError> {
        let config = self.config();
        let now = now_ms();
        let stuck = self
            .outbox()
            .stuck(
                quiet_since,
                now.saturating_sub(millis(config.stuck_horizon)),
                100,
            )
            .await?;
        let seen = stuck.len();
        let mut advanced = 0;
        for message in stuck {
            let fetched = match (
                OrgId::parse(&message.org_id),
                CredentialId::parse(&message.credential_id),
            ) {
                (Ok(org), Ok(credential)) => match self.accounts().get(&org, &credential).await {
                    Ok(account) => match twilio::MessageSid::parse(&message.twilio_sid) {
                        Ok(sid) => account.client.fetch_message(&sid).await.ok(),
                        Err(_) => None,
                    },
                    Err(_) => None,
                },
                _ => None,
            };
            let mut moved = false;
            if let Some(twilio_message) = fetched {
                let status: MessageStatus = super::attempt::status_of(&twilio_message);
                let report = StatusReport {
                    status,
                    error_code: twilio_message.error_code,
                    reason: twilio_message.error_code.map(|code| {
                        reason::describe(code, twilio_message.error_message.as_deref())
                    }),
                    dedup_key: format!("status:{status}"),
                    source: "reconciler",
                };
                moved = self
                    .outbox()
                    .apply_status(&message.org_id, &message.id, &report, now_ms())
                    .await?
                    == StatusApplied::Advanced;
            }
            if moved {
                advanced += 1;
            } else {
                self.outbox().touch(&message.id, now_ms()).await?;
            }
        }
        Ok((seen, advanced))
    }
}
