//! The four checks, one function each.

use std::time::Duration;

use tokio::time::Instant;
use twilio::{AccountStatus, AccountType, NewMessage, PhoneNumberQuery};

use super::delivery::{self, Delivery, Followed, seconds};
use super::{
    AccountFacts, AuthKind, CheckId, CheckPlan, CheckResult, CheckStatus, Context, Sender, explain,
    explain_delivery, retrying,
};
use crate::hot_lead::{self, Lead};
use crate::phone::PhoneNumber;
use crate::sms;

fn context<'a>(
    client: &'a twilio::Client,
    plan: &'a CheckPlan,
    to: Option<&'a PhoneNumber>,
    sending: bool,
) -> Context<'a> {
    Context {
        account_sid: client.account_sid().as_str(),
        from: match &plan.sender {
            Sender::From(number) => Some(number.as_str()),
            Sender::MessagingService(_) | Sender::Mistyped(_) => None,
        },
        to: to.map(PhoneNumber::as_str),
        api_key: plan.auth == AuthKind::ApiKey,
        sending,
    }
}

/// " (after 2 tries, 1.0 s of waiting between them)" when the call had to be repeated (the
/// wait is Twilio's `Retry-After` or our backoff after a timeout or 5xx).
fn retried(attempts: u32, waited: Duration) -> String {
    if attempts <= 1 {
        String::new()
    } else {
        format!(
            " (after {attempts} tries, {:.1} s of waiting between them)",
            waited.as_secs_f32()
        )
    }
}

/// The account check, and what it learned of the account's type and status.
pub(super) async fn account(
    client: &twilio::Client,
    plan: &CheckPlan,
) -> (CheckResult, AccountFacts) {
    let mut facts = AccountFacts::unread(client, plan.auth);
    let result = account_check(client, plan, &mut facts).await;
    (result, facts)
}

async fn account_check(
    client: &twilio::Client,
    plan: &CheckPlan,
    facts: &mut AccountFacts,
) -> CheckResult {
    let sid = client.account_sid();
    let ctx = context(client, plan, None, false);
    if plan.auth == AuthKind::ApiKey {
        // Standard API keys get 401/20003 on /Accounts, so probe a list they may read.
        let query = PhoneNumberQuery {
            phone_number: None,
            page_size: Some(1),
        };
        let out = retrying(plan.retry, true, || {
            client.list_incoming_phone_numbers(&query)
        })
        .await;
        return match out.result {
            Ok(_) => CheckResult::pass(
                CheckId::Account,
                format!(
                    "The API key is accepted for account {sid}; account type unknown (API keys cannot read the Account, so Trial or Full cannot be told){}",
                    retried(out.attempts, out.waited)
                ),
            ),
            Err(err) => CheckResult::failed_with(CheckId::Account, explain(&err, &ctx)),
        };
    }
    let out = retrying(plan.retry, true, || client.fetch_account()).await;
    let account = match out.result {
        Ok(account) => account,
        Err(err) => return CheckResult::failed_with(CheckId::Account, explain(&err, &ctx)),
    };
    facts.kind = Some(account.account_type);
    facts.status = Some(account.status);
    let name = account
        .friendly_name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    match account.status {
        AccountStatus::Active => {
            let kind = match account.account_type {
                AccountType::Trial => "a Trial account: it can only text verified numbers",
                AccountType::Full => "a Full (upgraded) account",
                AccountType::Unknown => "of a type this version does not know",
            };
            let retries = retried(out.attempts, out.waited);
            CheckResult::pass(
                CheckId::Account,
                format!("Account {sid}{name} is active, {kind}{retries}"),
            )
        }
        AccountStatus::Suspended => CheckResult::fail(
            CheckId::Account,
            format!("The Twilio account {sid}{name} is suspended"),
            "Reactivate it in the Twilio console (check billing) or contact Twilio support",
        ),
        AccountStatus::Closed => CheckResult::fail(
            CheckId::Account,
            format!("The Twilio account {sid}{name} is closed"),
            "Use the credentials of an active Twilio account",
        ),
        AccountStatus::Unknown => CheckResult::fail(
            CheckId::Account,
            format!("The Twilio account {sid}{name} is not active"),
            "Check the account's status in the Twilio console",
        ),
    }
}

pub(super) async fn phone(client: &twilio::Client, plan: &CheckPlan) -> CheckResult {
    let sid = client.account_sid();
    let ctx = context(client, plan, None, false);
    match &plan.sender {
        Sender::From(number) => {
            let query = PhoneNumberQuery {
                phone_number: Some(number.to_string()),
                page_size: Some(20),
            };
            let out = retrying(plan.retry, true, || {
                client.list_incoming_phone_numbers(&query)
            })
            .await;
            let page = match out.result {
                Ok(page) => page,
                Err(err) => return CheckResult::failed_with(CheckId::Phone, explain(&err, &ctx)),
            };
            match page
                .items
                .iter()
                .find(|n| n.phone_number.as_deref() == Some(number.as_str()))
            {
                None => CheckResult::fail(
                    CheckId::Phone,
                    format!("The From number {number} is not a number of account {sid}"),
                    "Use a number listed under Phone Numbers > Active numbers in this Twilio account (or buy one there)",
                ),
                Some(owned) if !owned.can_sms() => CheckResult::fail(
                    CheckId::Phone,
                    format!("The From number {number} belongs to the account but cannot send SMS"),
                    "Use an SMS-capable number of this account",
                ),
                Some(_) => CheckResult::pass(
                    CheckId::Phone,
                    format!(
                        "{number} belongs to the account and can send SMS{}",
                        retried(out.attempts, out.waited)
                    ),
                ),
            }
        }
        Sender::Mistyped(error) => CheckResult::mistyped(CheckId::Phone, error),
        Sender::MessagingService(mg) => {
            let out = retrying(plan.retry, true, || client.fetch_messaging_service(mg)).await;
            match out.result {
                Ok(service) => {
                    let name = service
                        .friendly_name
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default();
                    CheckResult::pass(
                        CheckId::Phone,
                        format!("Messaging Service {mg}{name} exists in the account"),
                    )
                }
                Err(err) if err.api().is_some_and(|a| a.http_status == 404) => CheckResult {
                    twilio_code: err.code(),
                    ..CheckResult::fail(
                        CheckId::Phone,
                        format!("Messaging Service {mg} was not found in account {sid}"),
                        "Copy the MG… SID from Messaging > Services in this account's Twilio console",
                    )
                },
                Err(err) => CheckResult::failed_with(CheckId::Phone, explain(&err, &ctx)),
            }
        }
    }
}

/// Sends `body` and, unless the plan says not to wait, follows it to its final status;
/// `describe` says what was sent ("Sent SM… to +1…: 1 segment").
async fn send(
    id: CheckId,
    client: &twilio::Client,
    plan: &CheckPlan,
    to: &PhoneNumber,
    body: String,
    describe: impl FnOnce(&twilio::Message) -> String,
) -> CheckResult {
    let ctx = context(client, plan, Some(to), true);
    // `run` sends only after the phone check passed, which a mistyped From never does.
    let Some(sender) = plan.sender.to_twilio() else {
        return CheckResult::skip(id, "Skipped: the From number must be fixed first", None);
    };
    let message = NewMessage::new(to.as_str(), sender, body);
    let requested = Instant::now();
    let out = retrying(plan.retry, false, || client.create_message(&message)).await;
    let accepted = match out.result {
        Ok(accepted) => accepted,
        Err(err) => return CheckResult::failed_with(id, explain(&err, &ctx)),
    };
    let followed = match plan.delivery {
        Delivery::NoWait => delivery::accepted_only(&accepted),
        Delivery::Within(within) => {
            delivery::follow(client, &accepted, requested, within, &ctx).await
        }
    };
    let sent = describe(&accepted);
    let retries = retried(out.attempts, out.waited);
    let mut result = judged(id, &accepted, &followed, &sent, &retries, &ctx);
    result.message_sid = Some(accepted.sid.to_string());
    result.final_status = Some(followed.status());
    result
}

/// The check's verdict on a text that Twilio accepted.
fn judged(
    id: CheckId,
    accepted: &twilio::Message,
    followed: &Followed,
    sent: &str,
    retries: &str,
    ctx: &Context<'_>,
) -> CheckResult {
    let sid = &accepted.sid;
    match followed {
        Followed::AcceptedOnly(seen) => CheckResult::pass(
            id,
            format!(
                "{sent} (status {}; not followed to delivery){retries}",
                seen.status.as_str()
            ),
        ),
        Followed::Delivered { after } => CheckResult {
            delivery_ms: Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX)),
            ..CheckResult::pass(
                id,
                format!("{sent}, delivered in {}{retries}", seconds(*after)),
            )
        },
        Followed::Failed(seen) => {
            let status = seen.status.as_str();
            let why = explain_delivery(seen.error_code, seen.error_message.as_deref(), ctx);
            CheckResult::failed_with(
                id,
                super::Explanation {
                    message: format!(
                        "Twilio marked {sid} {status}: {}",
                        lowercase_first(&why.message)
                    ),
                    ..why
                },
            )
        }
        Followed::NotConfirmed {
            last,
            within,
            trouble,
        } => {
            let status = last.status.as_str();
            let (why, hint) = match (trouble, last.status) {
                (Some(trouble), _) => (
                    format!("reading its status failed: {}", trouble.message),
                    trouble.hint.clone(),
                ),
                (None, twilio::MessageStatus::Sent) => (
                    "Twilio still reports it sent (the carrier gave no delivery receipt)".to_owned(),
                    Some("Check that the phone received it: if it did, its carrier sends Twilio no delivery receipts (some carriers and countries do not); if not, look the message up in the Twilio console's Messaging logs".to_owned()),
                ),
                (None, _) => (
                    format!("Twilio still reports it {status} (not yet handed to the carrier)"),
                    Some("Run the check again; if texts keep waiting in Twilio's queue, send fewer at once or add numbers to the Messaging Service".to_owned()),
                ),
            };
            CheckResult {
                status: CheckStatus::Fail,
                hint,
                twilio_code: trouble.as_ref().and_then(|t| t.twilio_code),
                ..CheckResult::pass(
                    id,
                    format!(
                        "{sent}, but it was not confirmed delivered within {}: {why}",
                        seconds(*within)
                    ),
                )
            }
        }
    }
}

pub(super) async fn generic_sms(
    client: &twilio::Client,
    plan: &CheckPlan,
    to: &PhoneNumber,
) -> CheckResult {
    let body = format!(
        "Voxanne test for {}: this Twilio number can send SMS. No reply needed.",
        plan.clinic_name.trim()
    );
    let segments = sms::count(&body).segments;
    let plural = if segments == 1 { "" } else { "s" };
    let mut result = send(CheckId::GenericSms, client, plan, to, body, |sent| {
        format!("Sent {} to {to}: {segments} segment{plural}", sent.sid)
    })
    .await;
    if result.message_sid.is_some() {
        result.segments = Some(segments);
    }
    result
}

pub(super) async fn hot_lead_sms(
    client: &twilio::Client,
    plan: &CheckPlan,
    to: &PhoneNumber,
) -> CheckResult {
    let lead = Lead {
        name: "Jane Doe (test)".to_owned(),
        phone: to.clone(),
        reason: "new patient cleaning, has insurance".to_owned(),
        preferred_time: Some("tomorrow morning".to_owned()),
        call_id: Some("voxanne-check".to_owned()),
    };
    let body = hot_lead::render(&lead, &plan.clinic_name);
    let counted = sms::count(&body);
    let encoding = match counted.encoding {
        sms::Encoding::Gsm7 => "GSM-7",
        sms::Encoding::Ucs2 => "UCS-2",
    };
    let plural = if counted.segments == 1 { "" } else { "s" };
    let mut result = send(CheckId::HotLeadSms, client, plan, to, body, |sent| {
        format!(
            "Sent hot-lead alert {} to {to}: {} characters, {} {encoding} segment{plural}",
            sent.sid, counted.units, counted.segments
        )
    })
    .await;
    // Our count, not Twilio's: a Messaging Service reports "0" until it picks a sender.
    if result.message_sid.is_some() {
        result.segments = Some(counted.segments);
    }
    result
}

/// "The carrier …" reads "the carrier …" after a colon; numbers and names ("Twilio …", "+1555…")
/// stay as written.
fn lowercase_first(text: &str) -> String {
    match text.strip_prefix("The ") {
        Some(rest) => format!("the {rest}"),
        None => text.to_owned(),
    }
}
