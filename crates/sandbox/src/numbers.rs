//! IncomingPhoneNumbers: the numbers an account owns, as the list operation shows them.

use crate::accounts::OwnedNumber;
use crate::dates::rfc2822;
use crate::wire::{CapabilitiesOut, IncomingPhoneNumberOut};

/// Twilio's friendly name for a number: `(808) 925-5327` for NANP numbers, else the E.164 form.
pub(crate) fn friendly_name(phone_number: &str) -> String {
    match phone_number.strip_prefix("+1") {
        Some(national) if national.len() == 10 => {
            format!(
                "({}) {}-{}",
                &national[..3],
                &national[3..6],
                &national[6..]
            )
        }
        _ => phone_number.to_owned(),
    }
}

/// The `PhoneNumber` filter: Twilio matches partial numbers, with `*` standing for any digit.
pub(crate) fn matches(phone_number: &str, pattern: &str) -> bool {
    let pattern: Vec<char> = pattern.trim().chars().collect();
    let number: Vec<char> = phone_number.chars().collect();
    if pattern.is_empty() {
        return true;
    }
    number.windows(pattern.len()).any(|window| {
        window
            .iter()
            .zip(&pattern)
            .all(|(n, p)| *p == *n || (*p == '*' && n.is_ascii_digit()))
    })
}

pub(crate) fn to_wire(account_sid: &str, number: &OwnedNumber) -> IncomingPhoneNumberOut {
    let date = rfc2822(number.date_created);
    IncomingPhoneNumberOut {
        account_sid: account_sid.to_owned(),
        address_requirements: "none",
        address_sid: None,
        api_version: "2010-04-01",
        beta: false,
        capabilities: CapabilitiesOut {
            voice: true,
            sms: number.sms,
            mms: number.sms,
            fax: false,
        },
        date_created: date.clone(),
        date_updated: date,
        emergency_status: "Inactive",
        emergency_address_sid: None,
        emergency_address_status: "unregistered",
        friendly_name: friendly_name(&number.phone_number),
        identity_sid: None,
        origin: "twilio",
        phone_number: number.phone_number.clone(),
        sid: number.sid.clone(),
        sms_application_sid: None,
        sms_fallback_method: "POST",
        sms_fallback_url: "",
        sms_method: "POST",
        sms_url: "",
        status_callback: "",
        status_callback_method: "POST",
        trunk_sid: None,
        uri: format!(
            "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{}.json",
            number.sid
        ),
        voice_application_sid: None,
        voice_caller_id_lookup: false,
        voice_fallback_method: "POST",
        voice_fallback_url: None,
        voice_method: "POST",
        voice_url: None,
        bundle_sid: None,
        voice_receive_mode: "voice",
        status: "in-use",
        kind: "local",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanp_numbers_get_a_friendly_name() {
        assert_eq!(friendly_name("+18089255327"), "(808) 925-5327");
        assert_eq!(friendly_name("+447911123456"), "+447911123456");
    }

    #[test]
    fn the_phone_number_filter_matches_exact_partial_and_wildcards() {
        assert!(matches("+18089255327", "+18089255327"));
        assert!(matches("+18089255327", "925"));
        assert!(matches("+18089255327", "+1808*******"));
        assert!(!matches("+18089255327", "+18089255328"));
    }
}
