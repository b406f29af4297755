//! Every fault the sandbox can make, with and without the request taking effect (`process`),
//! met by a send of one of two clinics that registered the same Twilio account and From number,
//! right after the other clinic sent the same words to the same phone: exactly one text per
//! accepted message, no Twilio SID belongs to two messages, and every final status is the one
//! Twilio reports. The faults come from the sandbox's own list, so a fault added there is run here
//! (and must be given its class below, or the proof fails). Moved here from the `it` binary's
//! dispatcher tests, which armed each fault by hand on a clinic of its own.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::DateTime;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fleet::{Fleet, Server, distinct_phones, free_port};
use crate::size::{Size, report};
use crate::support::Fetch;

/// What a failed Create Message tells the service, and so what it must do next.
#[derive(Debug, Clone, Copy)]
enum Class {
    /// The answer proves nothing was created (Twilio's 429 / 20429): resent, after its
    /// `Retry-After`, without asking Twilio first.
    NothingCreated { code: i64 },
    /// It may have created the message: checked against Twilio's records before any resend, and
    /// adopted when it was created.
    MaybeCreated { code: Option<i64> },
}

fn class(fault: &str) -> Class {
    match fault {
        "429" => Class::NothingCreated { code: 20429 },
        "500" => Class::MaybeCreated { code: Some(20500) },
        "503" => Class::MaybeCreated { code: Some(20503) },
        "hang" | "close" => Class::MaybeCreated { code: None },
        other => panic!(
            "the sandbox makes a fault {other:?} this proof has no class for: say whether its \
             answer proves nothing was created (resent blindly) or may have created the message \
             (reconciled first)"
        ),
    }
}

/// The faults the sandbox's control API accepts, as it lists them when refusing a made-up one.
async fn sandbox_faults(fleet: &Fleet) -> Vec<String> {
    let body = json!({"account_sid": fleet.orgs[0].account_sid, "fault": "no-such-fault"});
    let response = fleet
        .http
        .post(format!("{}/sandbox/faults", fleet.sandbox.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.unwrap();
    // serde's refusal: "unknown variant `no-such-fault`, expected one of `429`, `500`, …".
    let (_, expected) = text
        .split_once("expected")
        .unwrap_or_else(|| panic!("the sandbox did not list its faults: {text}"));
    let names: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(!names.is_empty(), "no fault listed in {text}");
    names
}

/// One faulted send: the other clinic's text first, then this clinic's through the fault.
struct Case {
    fault: String,
    process: bool,
    /// The clinic whose send met the fault.
    faulted: usize,
    to: String,
    /// `(clinic, message id)`: the other clinic's message, then the faulted one.
    messages: [(usize, String); 2],
}

/// Waits until clinic `org`'s message is delivered and its Twilio SID recorded (a status
/// callback can deliver it before the reconciliation that records the SID has run); returns it
/// (with its timeline) as last read.
async fn settled(fleet: &Fleet, server: &Server, org: usize, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let message = fleet.message_of(server, org, id).await;
        let done = message["status"] == "delivered" && message["twilio_sid"].is_string();
        if done || Instant::now() > deadline {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(fleet: &Fleet, server: &Server, org: usize, to: &str) -> String {
    let accepted = fleet.send(&server.url, org, to.to_owned(), false).await;
    accepted
        .unwrap_or_else(|| panic!("clinic {org}'s text to {to} was not accepted"))
        .id
}

/// The status Twilio (the sandbox) has for `sid`.
async fn twilio_status(fleet: &Fleet, sid: &str) -> String {
    let org = &fleet.orgs[0];
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages/{sid}.json",
        fleet.sandbox.url(),
        org.account_sid
    );
    let message: Value = fleet
        .http
        .get(url)
        .basic_auth(&org.account_sid, Some(&org.auth_token))
        .fetch_json()
        .await;
    message["status"].as_str().unwrap_or_default().to_owned()
}

fn at_ms(event: &Value) -> i64 {
    DateTime::parse_from_rfc3339(event["at"].as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

fn of_kind<'a>(timeline: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    timeline.iter().filter(move |e| e["kind"] == kind)
}

/// The faulted message's timeline shows the fault handled as its class requires.
fn assert_handled_by_class(case: &Case, message: &Value) {
    let timeline = message["timeline"].as_array().unwrap();
    let events = |kind: &'static str| of_kind(timeline, kind);
    let what = format!(
        "fault {} (process {}) on clinic {}: {timeline:#?}",
        case.fault, case.process, case.faulted
    );
    match class(&case.fault) {
        Class::NothingCreated { code } => {
            let retry = events("retry")
                .find(|e| e["twilio_code"] == code)
                .unwrap_or_else(|| panic!("no retry with {code}: {what}"));
            assert_eq!(
                events("reconciling").count(),
                0,
                "not resent blindly: {what}"
            );
            assert_eq!(events("adopted").count(), 0, "{what}");
            // The sandbox's Retry-After is 1 s.
            let sent = events("sent_to_twilio")
                .next()
                .unwrap_or_else(|| panic!("never sent: {what}"));
            assert!(
                at_ms(sent) - at_ms(retry) >= 950,
                "before Retry-After: {what}"
            );
        }
        Class::MaybeCreated { code } => {
            let reconciling: Vec<&Value> = events("reconciling").collect();
            assert!(!reconciling.is_empty(), "resent without checking: {what}");
            if let Some(code) = code {
                assert_eq!(reconciling[0]["twilio_code"], code, "{what}");
            }
            let (adopted, sent) = (events("adopted").count(), events("sent_to_twilio").count());
            let expected = if case.process { (1, 0) } else { (0, 1) };
            assert_eq!((adopted, sent), expected, "adopted or sent: {what}");
        }
    }
}

#[tokio::test]
async fn every_sandbox_fault_with_or_without_effect_on_two_clinics_sharing_an_account_texts_once() {
    let rounds = Size::from_env().pick(1, 5);
    let fleet = Fleet::sharing_one_account(2).await;
    let faults = sandbox_faults(&fleet).await;
    for fault in &faults {
        class(fault);
    }
    let server = fleet.serve(free_port());
    let cases = rounds * faults.len() * 2 * 2;
    let mut phones = distinct_phones(cases).into_iter();

    // One case at a time: a fault is armed on the shared account and taken by its next call,
    // which must be this case's Create Message.
    let mut done = Vec::with_capacity(cases);
    for _ in 0..rounds {
        for fault in &faults {
            for process in [false, true] {
                for faulted in [0, 1] {
                    let other = 1 - faulted;
                    let to = phones.next().unwrap();
                    let first = send(&fleet, &server, other, &to).await;
                    settled(&fleet, &server, other, &first).await;
                    let armed = json!({"fault": fault, "process": process});
                    fleet.arm_for(faulted, armed).await;
                    let second = send(&fleet, &server, faulted, &to).await;
                    settled(&fleet, &server, faulted, &second).await;
                    done.push(Case {
                        fault: fault.clone(),
                        process,
                        faulted,
                        to,
                        messages: [(other, first), (faulted, second)],
                    });
                }
            }
        }
    }
    // A duplicate would arrive within milliseconds; leave it time to.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (mut accepted, mut texts, mut doubled, mut lost, mut untrue) = (0, 0, 0, 0, 0);
    let mut sids = HashSet::new();
    let mut shared_sids = 0;
    for case in &done {
        let inbox = fleet.sandbox.inbox(&case.to).await;
        texts += inbox.len();
        let received: HashSet<&str> = inbox.iter().filter_map(|m| m["sid"].as_str()).collect();
        let mut case_sids = Vec::new();
        for (org, id) in &case.messages {
            accepted += 1;
            let message = fleet.message_of(&server, *org, id).await;
            let sid = message["twilio_sid"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !received.contains(sid.as_str()) {
                lost += 1;
            }
            if !sids.insert(sid.clone()) {
                shared_sids += 1;
            }
            if sid.is_empty() || message["status"] != twilio_status(&fleet, &sid).await {
                untrue += 1;
            }
            case_sids.push(sid);
        }
        doubled += inbox.len().saturating_sub(case.messages.len());
        let faulted = fleet
            .message_of(&server, case.faulted, &case.messages[1].1)
            .await;
        assert!(
            inbox.len() == 2 && case_sids.iter().all(|s| received.contains(s.as_str())),
            "fault {} (process {}) on clinic {}: the phone got {inbox:#?} for {case_sids:?}",
            case.fault,
            case.process,
            case.faulted
        );
        assert_handled_by_class(case, &faulted);
    }

    report(&format!(
        "{} faults ({}) × with/without effect × 2 orgs on one account{}: {accepted} accepted, {texts} texts, {doubled} doubled, {lost} lost, {shared_sids} Twilio SIDs on two messages, {untrue} statuses untrue",
        faults.len(),
        faults.join(", "),
        if rounds > 1 {
            format!(" × {rounds} rounds")
        } else {
            String::new()
        },
    ));
    assert_eq!(
        (texts, doubled, lost, shared_sids, untrue),
        (accepted, 0, 0, 0, 0)
    );
}
