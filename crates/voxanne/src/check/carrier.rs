//! Why a test text was not delivered: the carrier's asynchronous error codes in plain words.
//!
//! Twilio accepts a message and only later learns from the carrier whether it arrived; an
//! `undelivered` or `failed` message carries a 30xxx code (TWILIO-GOOGLE-FACTS.md, "Asynchronous
//! delivery errors") or, now and then, one of the request codes (21610 when a Messaging Service
//! meets a recipient who replied STOP).

use super::explain::known_code;
use super::{Context, Explanation};

/// Explains why Twilio marked a sent message `undelivered` or `failed`: the asynchronous 30xxx
/// carrier codes first, then the request codes Twilio can also end a message with (21610 when a
/// Messaging Service meets an unsubscribed recipient, …), then Twilio's own words.
pub fn explain_delivery(
    code: Option<u32>,
    twilio_message: Option<&str>,
    ctx: &Context<'_>,
) -> Explanation {
    let from = ctx.from.unwrap_or("the sender");
    let to = ctx.to.unwrap_or("the recipient");
    let Some(code) = code else {
        return Explanation::new(
            "Twilio gave no error code",
            "See the message in the Twilio console's Messaging logs",
        );
    };
    let explained = carrier_code(code, ctx, from, to).or_else(|| known_code(code, ctx, from, to));
    let mut e = explained.unwrap_or_else(|| {
        let said = twilio_message
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        Explanation::new(
            format!("Twilio error {code}{said}"),
            format!("See https://www.twilio.com/docs/errors/{code}"),
        )
    });
    e.twilio_code = Some(code);
    e
}

/// The carrier's delivery codes (TWILIO-GOOGLE-FACTS.md, "Asynchronous delivery errors").
fn carrier_code(code: u32, ctx: &Context<'_>, from: &str, to: &str) -> Option<Explanation> {
    let account = ctx.account_sid;
    Some(match code {
        30001 => Explanation::new(
            format!(
                "The queue of {from} overflowed: Twilio held more messages than it could send in time"
            ),
            "Send fewer messages at once (or add numbers to the Messaging Service), then run the check again",
        ),
        30002 => Explanation::new(
            format!("Twilio suspended the account {account} before the message went out"),
            "Check the account's status and billing in the Twilio console",
        ),
        30003 => Explanation::new(
            format!(
                "{to} is unreachable: the phone is switched off, has no signal, or is roaming where it cannot get SMS"
            ),
            "Check that the phone is on and has signal, then run the check again (Twilio suggests waiting 30 to 60 minutes)",
        ),
        30004 => Explanation::new(
            format!(
                "The message was blocked: {to} blocked {from}, or its carrier blocks such messages"
            ),
            "Ask the recipient to unblock the number, or test with another phone",
        ),
        30005 => Explanation::new(
            format!("{to} does not exist on its carrier (an unknown or disconnected number)"),
            "Check the number for typos, or use an active mobile number",
        ),
        30006 => Explanation::new(
            format!("{to} is a landline, or its carrier cannot receive SMS"),
            "Use a mobile number",
        ),
        30007 => Explanation::new(
            "The carrier filtered the message (as spam or for its content)",
            "Register the sender in the Twilio console (US A2P 10DLC or toll-free verification); if it is registered, contact Twilio support with the message SID",
        ),
        30008 => Explanation::new(
            "The carrier reported an unknown delivery error",
            "Run the check again; if it keeps happening, contact Twilio support with the message SID",
        ),
        30032 => Explanation::new(
            format!(
                "The toll-free number {from} is not verified for messaging, so carriers block its texts"
            ),
            "Submit the toll-free verification in the Twilio console and wait for approval",
        ),
        30034 => Explanation::new(
            format!(
                "{from} is not registered for US A2P 10DLC messaging, so carriers block its texts"
            ),
            "Register a brand and campaign in the Twilio console (Messaging > Regulatory compliance) and add this number to it",
        ),
        30036 => Explanation::new(
            "The message waited in Twilio's queue past its validity period and expired",
            "Send fewer messages at once, then run the check again",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_code_names_the_numbers_or_the_cause_with_a_fix() {
        let ctx = Context {
            from: Some("+14155550100"),
            to: Some("+15557770001"),
            account_sid: "AC-test",
            ..Context::default()
        };
        for code in [
            30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 30032, 30034, 30036,
        ] {
            let e = explain_delivery(Some(code), Some("raw twilio text"), &ctx);
            assert!(!e.message.contains("raw twilio text"), "{code}");
            assert_eq!(e.twilio_code, Some(code));
            assert!(e.hint.is_some(), "{code}");
        }
        let e = explain_delivery(Some(30003), None, &ctx);
        assert!(
            e.message.starts_with("+15557770001 is unreachable"),
            "{}",
            e.message
        );
        let e = explain_delivery(Some(21610), None, &ctx);
        assert!(e.message.contains("replied STOP"), "{}", e.message);
    }

    #[test]
    fn an_unknown_delivery_code_keeps_twilios_words_and_links_the_docs() {
        let e = explain_delivery(Some(39999), Some(" Odd "), &Context::default());
        assert_eq!(e.message, "Twilio error 39999: Odd");
        assert_eq!(
            e.hint.as_deref(),
            Some("See https://www.twilio.com/docs/errors/39999")
        );
        let e = explain_delivery(None, None, &Context::default());
        assert_eq!(e.twilio_code, None);
        assert_eq!(e.message, "Twilio gave no error code");
    }
}
