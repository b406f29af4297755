//! What is written on a message's timeline and how its status moves: the pieces that the
//! portable paths (`queue`, `history`, `enqueue`) and PostgreSQL's fast paths (`pg_batch`) share,
//! kept here so that neither side imports the other.

use super::status::MessageStatus;

/// Appends one entry to a message's timeline.
pub(super) const INSERT_EVENT: &str = "INSERT INTO message_events (message_id, at, kind, status, detail, twilio_code) VALUES ($1, $2, $3, $4, $5, $6)";

/// A status Twilio reported, from a callback or a fetch.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub status: MessageStatus,
    pub error_code: Option<u32>,
    pub reason: Option<String>,
    /// A report already applied under the same key is a duplicate. Callers key by status
    /// (`status:delivered`): a status is applied once per message, which also covers Twilio
    /// retrying one webhook (its retries repeat the status; their `I-Twilio-Idempotency-Token`
    /// would only tell retries from a forged replay that a fresh token disguises, which the
    /// status key refuses anyway). The schema comment of migration 0010 predates this choice;
    /// applied migrations are not edited.
    pub dedup_key: String,
    /// Where it came from, for the timeline (`callback`, `reconciler`).
    pub source: &'static str,
}

/// What [`super::Outbox::apply_status`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusApplied {
    /// The status moved forward.
    Advanced,
    /// Recorded on the timeline, but the message already had this or a later status.
    NotForward,
    /// The same report was applied before; nothing was written.
    Duplicate,
    /// No such message in this organization.
    Unknown,
}

/// The timeline entry of an accepted send: `(kind, detail)`.
pub(super) fn accepted_event(sid: &str, adopted: bool) -> (&'static str, String) {
    if adopted {
        (
            "adopted",
            format!(
                "an earlier attempt had reached Twilio as {sid}; adopted it instead of sending again"
            ),
        )
    } else {
        ("sent_to_twilio", format!("Twilio accepted it as {sid}"))
    }
}

/// The timeline detail of a status report: `(if it moved the status, if it was ignored)`.
pub(super) fn status_details(report: &StatusReport) -> (String, String) {
    let moved = match report.reason.as_deref() {
        Some(reason) => format!("{}: {reason}", report.source),
        None => report.source.to_owned(),
    };
    let ignored = format!(
        "{}: ignored, the message already has this or a later status",
        report.source
    );
    (moved, ignored)
}

/// Moves a message's status forward (never back); sets the error code and reason when given.
/// Evaluates to whether the status changed. A macro so it runs on either backend's transaction.
macro_rules! advance {
    ($tx:expr, $message_id:expr, $status:expr, $error_code:expr, $reason:expr, $now:expr) => {{
        let status: $crate::outbox::MessageStatus = $status;
        sqlx::query(
            "UPDATE messages SET status = $2, status_rank = $3, error_code = COALESCE($4, error_code), \
               reason = COALESCE($5, reason), updated_at = $6 \
             WHERE id = $1 AND status_rank < $3",
        )
        .bind($message_id)
        .bind(status.as_str())
        .bind(i64::from(status.rank()))
        .bind($error_code)
        .bind($reason)
        .bind($now)
        .execute(&mut *$tx)
        .await
        .map_err($crate::outbox::db_err("advancing a message's status"))
        .map(|done| done.rows_affected() == 1)
    }};
}
pub(super) use advance;
