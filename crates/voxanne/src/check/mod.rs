//! The Phase 0 check suite: can this clinic's Twilio account send Voxanne's messages?
//!
//! Four checks, in order, each building on the last: the credentials and account, the sender
//! (a number the account owns that can send SMS, or a Messaging Service), a plain test SMS, and a
//! real hot-lead alert. A check that cannot meaningfully run is skipped with the reason. Each test
//! text passes only once Twilio reports it `delivered` within the plan's deadline (5 s unless
//! told otherwise): accepted is not delivered. The same [`run`] serves `voxanne check twilio` and
//! the HTTP verify endpoint.

mod carrier;
mod delivery;
mod explain;
mod results;
mod retry;
mod steps;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use self::carrier::explain_delivery;
pub use self::delivery::{DEFAULT_DELIVER_WITHIN, Delivery, seconds};
pub use self::explain::{Context, Explanation, explain};
pub use self::results::{LocalTime, TestResults};
pub use self::retry::{Attempted, RetryPolicy, may_retry, retrying};
use crate::masking::mask_sid;
use crate::phone::{PhoneError, PhoneNumber};

/// Which kind of credentials the client holds; API keys cannot read the Account resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    AuthToken,
    ApiKey,
}

/// Who sends the test messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    From(PhoneNumber),
    MessagingService(twilio::MessagingServiceSid),
    /// A From number the operator typed that is not E.164: the phone check fails with the
    /// parser's reason and fix while the account check still runs, so one run reports both.
    Mistyped(PhoneError),
}

impl Sender {
    /// Who Twilio should send from; `None` for a mistyped number (nothing is sent then).
    pub fn to_twilio(&self) -> Option<twilio::Sender> {
        match self {
            Sender::From(number) => Some(twilio::Sender::From(number.to_string())),
            Sender::MessagingService(mg) => Some(twilio::Sender::MessagingService(mg.clone())),
            Sender::Mistyped(_) => None,
        }
    }
}

/// Who reads the report, so hints name the right knob (`--to` or the body's `test_to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Cli,
    Api,
    Dashboard,
}

impl Surface {
    fn to_hint(self) -> &'static str {
        match self {
            Surface::Cli => {
                "Pass --to with a mobile number you can read (E.164, e.g. +14155552671) to send two test messages"
            }
            Surface::Api => {
                "Set test_to to a mobile number you can read (E.164, e.g. +14155552671) to send two test messages"
            }
            Surface::Dashboard => {
                "Fill in \"Send test texts to\" with a mobile number you can read (e.g. +14155552671) and press Verify to send two test messages"
            }
        }
    }
}

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub auth: AuthKind,
    pub sender: Sender,
    /// Where to send the two test messages; `None` skips them, a mistyped number fails them.
    pub to: Option<Result<PhoneNumber, PhoneError>>,
    /// Shown in the messages, as the clinic will see it.
    pub clinic_name: String,
    pub retry: RetryPolicy,
    /// Whether the SMS checks follow their texts to delivery, and for how long.
    pub delivery: Delivery,
    pub surface: Surface,
}

impl CheckPlan {
    /// A plan for the command line; the API sets [`CheckPlan::surface`] to [`Surface::Api`].
    pub fn new(
        auth: AuthKind,
        sender: Sender,
        to: Option<Result<PhoneNumber, PhoneError>>,
        clinic_name: impl Into<String>,
    ) -> Self {
        Self {
            auth,
            sender,
            to,
            clinic_name: clinic_name.into(),
            retry: RetryPolicy::default(),
            delivery: Delivery::default(),
            surface: Surface::Cli,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    Account,
    Phone,
    GenericSms,
    HotLeadSms,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Account => "account",
            CheckId::Phone => "phone",
            CheckId::GenericSms => "generic_sms",
            CheckId::HotLeadSms => "hot_lead_sms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    Skip,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub status: CheckStatus,
    /// What happened, in plain words.
    pub message: String,
    /// The fix, for failures (and the way to un-skip, for skips).
    pub hint: Option<String>,
    pub twilio_code: Option<u32>,
    /// The SID of a message a check sent, for tracking in Twilio's console.
    pub message_sid: Option<String>,
    /// Segments of the message a check sent.
    pub segments: Option<u32>,
    /// The last status Twilio reported for the test text: `delivered`, `undelivered` or
    /// `failed`; or, for a text not followed (`--no-wait`) or not confirmed by the deadline,
    /// the status it had then (`queued`, `sent`, …).
    pub final_status: Option<twilio::MessageStatus>,
    /// Milliseconds from the create request to Twilio's answer that said `delivered`.
    pub delivery_ms: Option<u64>,
    /// A failure because Twilio gave no definitive answer (timeout, connection error, 5xx, 429):
    /// it could not check, rather than found something wrong.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub could_not_check: bool,
}

impl CheckResult {
    pub fn pass(id: CheckId, message: impl Into<String>) -> Self {
        Self {
            id,
            status: CheckStatus::Pass,
            message: message.into(),
            hint: None,
            twilio_code: None,
            message_sid: None,
            segments: None,
            final_status: None,
            delivery_ms: None,
            could_not_check: false,
        }
    }

    pub fn skip(id: CheckId, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            hint,
            status: CheckStatus::Skip,
            ..Self::pass(id, message)
        }
    }

    pub fn fail(id: CheckId, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            hint: Some(hint.into()),
            status: CheckStatus::Fail,
            ..Self::pass(id, message)
        }
    }

    /// A number the operator typed that is not E.164. The parser's text reads "what is wrong:
    /// what to type"; the two halves become the message and the hint.
    pub fn mistyped(id: CheckId, error: &PhoneError) -> Self {
        let text = error.to_string();
        match text.split_once(": ") {
            Some((problem, fix)) => Self::fail(id, problem, capitalized(fix)),
            None => Self::fail(id, text.as_str(), "Use E.164 form, e.g. +14155552671"),
        }
    }

    pub fn failed_with(id: CheckId, explanation: Explanation) -> Self {
        Self {
            status: CheckStatus::Fail,
            hint: explanation.hint,
            twilio_code: explanation.twilio_code,
            could_not_check: explanation.transient,
            ..Self::pass(id, explanation.message)
        }
    }
}

/// What the run learned about the account, for the results document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountFacts {
    /// The Account SID with all but its last 4 characters hidden.
    pub sid_masked: String,
    /// `None` when it could not be read: API keys cannot read the Account, or the check failed.
    #[serde(rename = "type")]
    pub kind: Option<twilio::AccountType>,
    pub status: Option<twilio::AccountStatus>,
    pub auth: AuthKind,
}

impl AccountFacts {
    /// What the client alone tells: the SID and the kind of credentials.
    fn unread(client: &twilio::Client, auth: AuthKind) -> Self {
        Self {
            sid_masked: mask_sid(client.account_sid().as_str()),
            kind: None,
            status: None,
            auth,
        }
    }
}

/// Every check's outcome, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// When the run started.
    pub started_at: DateTime<Utc>,
    pub account: AccountFacts,
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// True when no check failed (skips are not failures).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Fail)
    }

    pub fn get(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Runs the four checks against the account of `client`.
pub async fn run(client: &twilio::Client, plan: &CheckPlan) -> Report {
    let started_at = Utc::now();
    let (checks, account) = run_checks(client, plan).await;
    Report {
        started_at,
        account,
        checks,
    }
}

async fn run_checks(client: &twilio::Client, plan: &CheckPlan) -> (Vec<CheckResult>, AccountFacts) {
    let mut checks = Vec::with_capacity(4);
    let (account, facts) = steps::account(client, plan).await;
    let account_ok = account.status == CheckStatus::Pass;
    checks.push(account);
    if !account_ok {
        let reason = "Skipped: the account check failed";
        for id in [CheckId::Phone, CheckId::GenericSms, CheckId::HotLeadSms] {
            checks.push(CheckResult::skip(id, reason, None));
        }
        return (checks, facts);
    }
    let phone = steps::phone(client, plan).await;
    let phone_ok = phone.status == CheckStatus::Pass;
    checks.push(phone);
    let to = match plan.to.as_ref() {
        None => {
            let hint = Some(plan.surface.to_hint().to_owned());
            for id in [CheckId::GenericSms, CheckId::HotLeadSms] {
                checks.push(CheckResult::skip(
                    id,
                    "Skipped: no To number given",
                    hint.clone(),
                ));
            }
            return (checks, facts);
        }
        Some(Err(mistyped)) => {
            checks.push(CheckResult::mistyped(CheckId::GenericSms, mistyped));
            checks.push(CheckResult::skip(
                CheckId::HotLeadSms,
                "Skipped: the To number must be fixed first",
                None,
            ));
            return (checks, facts);
        }
        Some(Ok(to)) => to,
    };
    if !phone_ok {
        for id in [CheckId::GenericSms, CheckId::HotLeadSms] {
            checks.push(CheckResult::skip(
                id,
                "Skipped: the phone check failed",
                None,
            ));
        }
        return (checks, facts);
    }
    let generic = steps::generic_sms(client, plan, to).await;
    let generic_ok = generic.status == CheckStatus::Pass;
    checks.push(generic);
    if generic_ok {
        checks.push(steps::hot_lead_sms(client, plan, to).await);
    } else {
        checks.push(CheckResult::skip(
            CheckId::HotLeadSms,
            "Skipped: the generic SMS failed",
            None,
        ));
    }
    (checks, facts)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
