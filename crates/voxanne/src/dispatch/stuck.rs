//! The periodic reconciler: asks Twilio about messages that stopped short of a final status
//! (a lost callback, no public URL, a carrier without receipts), as Twilio itself recommends.

use super::Dispatcher;
use crate::ids::{CredentialId, OrgId};
use crate::outbox::{MessageStatus, StatusApplied, StatusReport, millis, now_ms, reason};

impl Dispatcher {
    /// Fetches up to 100 quiet, unfinished messages from Twilio and applies their status.
    /// Returns how many moved forward.
    pub async fn reconcile_stuck_once(&self) -> Result<usize, super::DispatchError> {
        let config = self.config();
        let now = now_ms();
        let stuck = self
            .outbox()
            .stuck(
                now.saturating_sub(millis(config.stuck_after)),
                now.saturating_sub(millis(config.stuck_horizon)),
                100,
            )
            .await?;
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
        Ok(advanced)
    }
}
