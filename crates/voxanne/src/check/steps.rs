//! The four checks, one function each.

use std::time::Duration;

use twilio::{AccountStatus, AccountType, MessageStatus, NewMessage, PhoneNumberQuery};

use super::{AuthKind, CheckId, CheckPlan, CheckResult, Context, Sender, explain, retrying};
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

pub(super) async fn account(client: &twilio::Client, plan: &CheckPlan) -> CheckResult {
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

/// Sends `body`; `describe` turns the accepted message into the pass message.
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
    let out = retrying(plan.retry, false, || client.create_message(&message)).await;
    match out.result {
        Ok(sent)
            if matches!(
                sent.status,
                MessageStatus::Failed | MessageStatus::Undelivered
            ) =>
        {
            CheckResult {
                twilio_code: sent.error_code,
                message_sid: Some(sent.sid.to_string()),
                ..CheckResult::fail(
                    id,
                    format!(
                        "Twilio accepted {} but marked it {}: {}",
                        sent.sid,
                        sent.status.as_str(),
                        sent.error_message.as_deref().unwrap_or("no reason given")
                    ),
                    "See the message in the Twilio console's Messaging logs",
                )
            }
        }
        Ok(sent) => CheckResult {
            message_sid: Some(sent.sid.to_string()),
            ..CheckResult::pass(
                id,
                format!("{}{}", describe(&sent), retried(out.attempts, out.waited)),
            )
        },
        Err(err) => CheckResult::failed_with(id, explain(&err, &ctx)),
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
        format!(
            "Sent {} to {to}: {segments} segment{plural} (status {})",
            sent.sid,
            sent.status.as_str()
        )
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
            "Sent hot-lead alert {} to {to}: {} characters, {} {encoding} segment{plural} (status {})",
            sent.sid,
            counted.units,
            counted.segments,
            sent.status.as_str()
        )
    })
    .await;
    // Our count, not Twilio's: a Messaging Service reports "0" until it picks a sender.
    if result.message_sid.is_some() {
        result.segments = Some(counted.segments);
    }
    result
}
