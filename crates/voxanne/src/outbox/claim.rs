//! A claim on a queued message and what became of it: what a worker holds while it talks to
//! Twilio, and what it reports back to be settled (by `queue`, or set-based by `pg_batch` and
//! `sqlite_settle`).

use super::status::MessageStatus;

/// A message a worker holds until `lease_until`. Every write about it names `fence`.
#[derive(Clone)]
pub struct Claim {
    pub message_id: String,
    pub org_id: String,
    pub credential_id: String,
    pub fence: i64,
    /// Create-message requests made before this claim.
    pub attempts: i64,
    /// True when an earlier attempt may have reached Twilio (it timed out, or its worker died
    /// mid-send): Twilio must be asked before sending again.
    pub must_reconcile: bool,
    pub to: String,
    pub sender: String,
    pub body: String,
    pub callback_token: String,
    pub created_at: i64,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("message_id", &self.message_id)
            .field("org_id", &self.org_id)
            .field("fence", &self.fence)
            .field("attempts", &self.attempts)
            .field("must_reconcile", &self.must_reconcile)
            .finish_non_exhaustive()
    }
}

/// What happened to a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Twilio has it under `sid` (`adopted`: found by reconciliation rather than sent now).
    Accepted {
        sid: String,
        status: MessageStatus,
        segments: Option<u32>,
        attempted: bool,
        adopted: bool,
    },
    /// Try again at `due_at` (`code`: Twilio's error code, for the timeline).
    Retry {
        due_at: i64,
        cause: String,
        attempted: bool,
        code: Option<u32>,
    },
    /// Give up.
    Failed {
        code: Option<u32>,
        reason: String,
        attempted: bool,
    },
    /// Ask Twilio at `due_at` whether an earlier attempt got through.
    Reconcile {
        due_at: i64,
        cause: String,
        attempted: bool,
        code: Option<u32>,
    },
    /// Twilio's records do not settle it; a person must decide.
    NeedsAttention { reason: String },
    /// The credential failed: hold every queued message that uses it.
    PauseCredential { reason: String, attempted: bool },
}
