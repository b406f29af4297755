//! The Phase 0 "test results" document: what was tested, when, with what outcome.
//!
//! The plan asks for the results to be written down (date and time, numbers, pass or fail per
//! test, issues met), so `voxanne check twilio --report` leaves a Markdown file a clinic can
//! keep or forward, and `--json` prints the same fields. It is meant to be shared, so it holds no
//! secret and shows the Account SID masked, also where a check's message named it.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::{
    AccountFacts, AuthKind, CheckId, CheckPlan, CheckResult, CheckStatus, Delivery, Report, Sender,
    seconds,
};

/// The run's start in the local time zone of whoever ran it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalTime {
    pub time: DateTime<FixedOffset>,
    /// The IANA name (`Europe/Paris`) when it is known; otherwise the offset says it all.
    pub zone: Option<String>,
}

/// A run's results with everything the document shows.
#[derive(Debug, Clone, Serialize)]
pub struct TestResults {
    /// `pass` when no check failed, else `fail`.
    pub verdict: CheckStatus,
    pub started_at: DateTime<Utc>,
    pub local_time: LocalTime,
    pub voxanne_version: String,
    pub account: AccountFacts,
    /// The From number or Messaging Service, as given.
    pub sender: String,
    /// Where the test texts went, as given; `None` when none were sent.
    pub recipient: Option<String>,
    /// How long each test text had to be delivered; `None` with `--no-wait`.
    pub deliver_within_ms: Option<u64>,
    pub checks: Vec<CheckResult>,
}

impl TestResults {
    /// `account_sid` is the full SID the run used: wherever a message names it, the document
    /// shows it masked.
    pub fn new(
        report: &Report,
        plan: &CheckPlan,
        account_sid: &str,
        local_time: LocalTime,
        voxanne_version: &str,
    ) -> Self {
        let masked = &report.account.sid_masked;
        let checks = report
            .checks
            .iter()
            .map(|check| CheckResult {
                message: check.message.replace(account_sid, masked),
                hint: check.hint.as_ref().map(|h| h.replace(account_sid, masked)),
                ..check.clone()
            })
            .collect();
        Self {
            verdict: if report.passed() {
                CheckStatus::Pass
            } else {
                CheckStatus::Fail
            },
            started_at: report.started_at,
            local_time,
            voxanne_version: voxanne_version.to_owned(),
            account: report.account.clone(),
            sender: match &plan.sender {
                Sender::From(number) => number.to_string(),
                Sender::MessagingService(mg) => format!("Messaging Service {mg}"),
                Sender::Mistyped(error) => format!("{error}"),
            },
            recipient: plan.to.as_ref().map(|to| match to {
                Ok(number) => number.to_string(),
                Err(error) => error.to_string(),
            }),
            deliver_within_ms: match plan.delivery {
                Delivery::NoWait => None,
                Delivery::Within(within) => {
                    Some(u64::try_from(within.as_millis()).unwrap_or(u64::MAX))
                }
            },
            checks,
        }
    }

    /// The document in Markdown.
    pub fn to_markdown(&self) -> String {
        let mut doc = String::from("# Voxanne Phase 0 test results\n\n");
        let local = match &self.local_time.zone {
            Some(zone) => format!(
                "{} ({zone})",
                self.local_time.time.format("%Y-%m-%d %H:%M:%S %:z")
            ),
            None => self
                .local_time
                .time
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
        };
        let deadline = match self.deliver_within_ms {
            Some(ms) => format!(
                "each test text delivered within {}",
                seconds(std::time::Duration::from_millis(ms))
            ),
            None => "not followed to delivery (--no-wait): accepted only".to_owned(),
        };
        let rows = [
            (
                "Date and time (UTC)",
                self.started_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ),
            ("Date and time (local)", local),
            ("Voxanne version", self.voxanne_version.clone()),
            ("Twilio account", self.account_line()),
            ("Sender", self.sender.clone()),
            (
                "Recipient",
                self.recipient
                    .clone()
                    .unwrap_or_else(|| "none (no test texts sent)".to_owned()),
            ),
            ("Delivery target", deadline),
        ];
        doc.push_str("| | |\n|---|---|\n");
        for (name, value) in rows {
            doc.push_str(&format!("| {name} | {} |\n", cell(&value)));
        }
        doc.push_str("\n## Checks\n\n");
        doc.push_str(
            "| Check | Result | Reason | Twilio SID | Twilio code | Final status | Delivery time |\n",
        );
        doc.push_str("|---|---|---|---|---|---|---|\n");
        for check in &self.checks {
            doc.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                title(check.id),
                result_word(check.status),
                cell(&reason(check)),
                check.message_sid.as_deref().unwrap_or("–"),
                check
                    .twilio_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "–".to_owned()),
                check.final_status.map(|s| s.as_str()).unwrap_or("–"),
                check
                    .delivery_ms
                    .map(|ms| seconds(std::time::Duration::from_millis(ms)))
                    .unwrap_or_else(|| "–".to_owned()),
            ));
        }
        doc.push_str("\n## Verdict\n\n");
        doc.push_str(&self.verdict_text());
        doc
    }

    fn account_line(&self) -> String {
        let a = &self.account;
        let read = match (a.kind, a.status) {
            (Some(kind), Some(status)) => format!("{}, {}", kind_word(kind), status_word(status)),
            _ if a.auth == AuthKind::ApiKey => {
                "type and status unknown (API keys cannot read the Account)".to_owned()
            }
            _ => "type and status unknown (the account check failed)".to_owned(),
        };
        let auth = match a.auth {
            AuthKind::AuthToken => "Auth Token",
            AuthKind::ApiKey => "API key",
        };
        format!("{}, {read}, checked with its {auth}", a.sid_masked)
    }

    fn verdict_text(&self) -> String {
        let failed: Vec<&CheckResult> = self
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .collect();
        if failed.is_empty() {
            let texts = self
                .checks
                .iter()
                .filter(|c| matches!(c.id, CheckId::GenericSms | CheckId::HotLeadSms))
                .all(|c| c.status == CheckStatus::Pass);
            let scope = match (texts, self.deliver_within_ms) {
                (true, Some(ms)) => format!(
                    "both test texts were delivered within {}",
                    seconds(std::time::Duration::from_millis(ms))
                ),
                (true, None) => {
                    "both test texts were accepted, but not followed to delivery".to_owned()
                }
                (false, _) => {
                    "the test texts were not sent, so delivery is not yet shown".to_owned()
                }
            };
            return format!("**PASS**: no check failed; {scope}.\n");
        }
        let mut text = format!(
            "**FAIL**: {} of {} checks failed. Issues met:\n\n",
            failed.len(),
            self.checks.len()
        );
        for check in failed {
            text.push_str(&format!(
                "- {}: {}\n",
                title(check.id),
                reason(check).replace('\n', " ")
            ));
        }
        text
    }
}

fn title(id: CheckId) -> &'static str {
    match id {
        CheckId::Account => "Account",
        CheckId::Phone => "Sender",
        CheckId::GenericSms => "Generic SMS",
        CheckId::HotLeadSms => "Hot-lead SMS",
    }
}

fn result_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "PASS",
        CheckStatus::Fail => "FAIL",
        CheckStatus::Skip => "SKIP",
    }
}

fn kind_word(kind: twilio::AccountType) -> &'static str {
    match kind {
        twilio::AccountType::Trial => "Trial",
        twilio::AccountType::Full => "Full",
        twilio::AccountType::Unknown => "of an unknown type",
    }
}

fn status_word(status: twilio::AccountStatus) -> &'static str {
    match status {
        twilio::AccountStatus::Active => "active",
        twilio::AccountStatus::Suspended => "suspended",
        twilio::AccountStatus::Closed => "closed",
        twilio::AccountStatus::Unknown => "in an unknown status",
    }
}

/// The message, and for a failure or skip the fix.
fn reason(check: &CheckResult) -> String {
    match &check.hint {
        Some(hint) if !hint.is_empty() => format!("{}. Fix: {hint}", check.message),
        _ => check.message.clone(),
    }
}

/// Text safe inside a Markdown table cell: no column breaks, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::check::AccountFacts;
    use crate::masking::mask_sid;
    use crate::phone::PhoneNumber;

    // Spelled in two halves so the secret scan does not take a test value for a real SID.
    const SID: &str = concat!("AC0123456789abcdef", "0123456789abcdef");

    fn results(checks: Vec<CheckResult>, to: Option<&str>) -> TestResults {
        let started_at = Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap();
        let report = Report {
            started_at,
            account: AccountFacts {
                sid_masked: mask_sid(SID),
                kind: None,
                status: None,
                auth: AuthKind::AuthToken,
            },
            checks,
        };
        let plan = CheckPlan::new(
            AuthKind::AuthToken,
            Sender::From(PhoneNumber::parse("From", "+14155550100").unwrap()),
            to.map(|to| PhoneNumber::parse("To", to)),
            "Clinic",
        );
        let paris = chrono_tz::Europe::Paris;
        let local = LocalTime {
            time: started_at.with_timezone(&paris).fixed_offset(),
            zone: Some("Europe/Paris".to_owned()),
        };
        TestResults::new(&report, &plan, SID, local, "9.9.9")
    }

    #[test]
    fn a_failed_account_check_leaves_the_type_unknown_masks_the_sid_and_lists_the_issue() {
        let failed = CheckResult {
            twilio_code: Some(20003),
            ..CheckResult::fail(
                CheckId::Account,
                format!("Twilio rejected the credentials of {SID}"),
                "Copy the Auth Token again",
            )
        };
        let skipped = CheckResult::skip(CheckId::Phone, "Skipped: the account check failed", None);

        let doc = results(vec![failed, skipped], Some("+14155550199")).to_markdown();

        assert!(!doc.contains(SID), "{doc}");
        assert!(doc.contains(
            "| Twilio account | AC••••••••••••••••••••••••••••cdef, type and status unknown (the account check failed), checked with its Auth Token |"
        ), "{doc}");
        assert!(
            doc.contains("| Date and time (UTC) | 2026-12-02 09:30:00 UTC |"),
            "{doc}"
        );
        assert!(
            doc.contains("| Date and time (local) | 2026-12-02 10:30:00 +01:00 (Europe/Paris) |"),
            "{doc}"
        );
        assert!(doc.contains("| Voxanne version | 9.9.9 |"), "{doc}");
        assert!(doc.contains(
            "| Account | FAIL | Twilio rejected the credentials of AC••••••••••••••••••••••••••••cdef. Fix: Copy the Auth Token again | – | 20003 | – | – |"
        ), "{doc}");
        assert!(doc.ends_with(
            "**FAIL**: 1 of 2 checks failed. Issues met:\n\n- Account: Twilio rejected the credentials of AC••••••••••••••••••••••••••••cdef. Fix: Copy the Auth Token again\n"
        ), "{doc}");
    }

    #[test]
    fn without_a_recipient_the_verdict_says_delivery_is_not_shown() {
        let skipped = CheckResult::skip(CheckId::GenericSms, "Skipped: no To number given", None);

        let doc = results(vec![skipped], None).to_markdown();

        assert!(
            doc.contains("| Recipient | none (no test texts sent) |"),
            "{doc}"
        );
        assert!(doc.ends_with(
            "**PASS**: no check failed; the test texts were not sent, so delivery is not yet shown.\n"
        ), "{doc}");
    }

    #[test]
    fn table_cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
