//! Plain-words explanations of the Twilio error codes a clinic's messages can end with.
//!
//! Staff read these on the dashboard and in `GET /api/messages/{id}`; they say what happened
//! and, where someone can act, what to do. Codes and wording follow Twilio's error dictionary
//! (see `TWILIO-GOOGLE-FACTS.md` sections 2 and 3).

/// The plain-words reason for a Twilio error code, when we know it.
pub fn for_twilio_code(code: u32) -> Option<&'static str> {
    Some(match code {
        20003 => {
            "Twilio rejected the credentials: check the Auth Token or API key of this Twilio credential and verify it again"
        }
        20403 => "Twilio refused the request: the Twilio account is suspended or closed",
        20005 => "The Twilio account is not active (out of funds or trial not activated)",
        20404 => "Twilio does not know this message",
        20429 => "Twilio was busy (too many requests at once); the message is retried",
        21211 => "The recipient number is not a valid phone number",
        21212 => "The sending number of this Twilio credential is not valid: fix the From number",
        21408 => {
            "The Twilio account has no permission to text this country or region: enable it in Twilio's Geo Permissions"
        }
        21602 => "The message has no text",
        21606 => {
            "The From number cannot send SMS for this account or destination: fix the credential's From number"
        }
        21608 => {
            "A Twilio trial account can only text verified numbers: verify the recipient in Twilio or upgrade the account"
        }
        21610 => {
            "The recipient replied STOP to this sender and must text START before receiving messages again"
        }
        21611 => "The sender's Twilio queue is full; the message is retried later",
        21612 => "Twilio cannot reach this recipient from this sender",
        21614 => "The recipient number cannot receive SMS (not a mobile number)",
        21617 => "The message is longer than Twilio's 1,600-character limit",
        21635 => "The recipient number is a landline",
        21658 => "A message field is longer than Twilio allows",
        21609 => "Twilio refused our status callback URL: check VOXANNE_PUBLIC_URL",
        21660 => {
            "The From number does not belong to this Twilio account: fix the credential's From number"
        }
        30001 => "The sender's queue overflowed before the message could be sent",
        30002 => "The Twilio account is suspended",
        30003 => "The recipient's phone is unreachable (switched off or out of coverage)",
        30004 => "The message was blocked by the recipient or their carrier",
        30005 => "The recipient number does not exist on its carrier",
        30006 => "The recipient number is a landline or its carrier cannot receive SMS",
        30007 => "The carrier filtered the message (spam or content filtering)",
        30008 => "The carrier reported an unknown delivery error",
        30032 => "The toll-free sending number is not verified",
        30034 => "The sending number is not registered for US A2P 10DLC messaging",
        30036 => "The message expired in the queue before it could be sent",
        _ => return None,
    })
}

/// A reason for any code: the known explanation, or Twilio's own message, or the bare code.
pub fn describe(code: u32, twilio_message: Option<&str>) -> String {
    match (for_twilio_code(code), twilio_message) {
        (Some(plain), _) => plain.to_owned(),
        (None, Some(message)) if !message.trim().is_empty() => {
            format!("Twilio error {code}: {}", message.trim())
        }
        (None, _) => format!("Twilio error {code} (see https://www.twilio.com/docs/errors/{code})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_code_is_explained_in_plain_words() {
        assert!(describe(21610, None).contains("STOP"));
        assert!(describe(30003, Some("ignored")).contains("unreachable"));
    }

    #[test]
    fn an_unknown_code_keeps_twilios_message_or_links_the_docs() {
        assert_eq!(
            describe(12345, Some(" Odd thing ")),
            "Twilio error 12345: Odd thing"
        );
        assert!(describe(12345, None).contains("docs/errors/12345"));
    }
}
