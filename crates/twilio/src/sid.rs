//! Typed Twilio SIDs: a two-letter prefix and 32 hex digits, as the spec's `pattern`s say.
//!
//! A SID of the wrong kind (an `SK` key where an `AC` account belongs) is a classic BYOC
//! mistake that Twilio answers with confusing codes (21470, 90002); parsing into a distinct type
//! per prefix catches it before a request is sent, with a message that names the field.

/// Why a string is not a SID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SidError {
    #[error("a {kind} SID must be 34 characters ({prefixes} followed by 32 hex digits), got {len}")]
    Length {
        kind: &'static str,
        prefixes: &'static str,
        len: usize,
    },
    #[error("a {kind} SID starts with {prefixes}; this one starts with {found:?}")]
    Prefix {
        kind: &'static str,
        prefixes: &'static str,
        found: String,
    },
    #[error("a {kind} SID has 32 hex digits after {prefixes}; this one has a non-hex character")]
    NotHex {
        kind: &'static str,
        prefixes: &'static str,
    },
}

/// Checks `input` against `^(P1|P2…)[0-9a-fA-F]{32}$` without a regex.
fn check(
    input: &str,
    kind: &'static str,
    prefixes: &'static [&'static str],
    shown: &'static str,
) -> Result<(), SidError> {
    // Count chars, not bytes, so the message is right for non-ASCII input.
    let len = input.chars().count();
    if len != 34 || input.len() != 34 {
        return Err(SidError::Length {
            kind,
            prefixes: shown,
            len,
        });
    }
    let (prefix, digits) = input.split_at(2);
    if !prefixes.contains(&prefix) {
        return Err(SidError::Prefix {
            kind,
            prefixes: shown,
            found: prefix.to_owned(),
        });
    }
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SidError::NotHex {
            kind,
            prefixes: shown,
        });
    }
    Ok(())
}

/// A SID type per kind, on the workspace's one typed-id facility.
macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $shown:literal, [$($prefix:literal),+]) => {
        typed_id::typed_id! {
            $(#[$doc])*
            pub struct $name;
            error = SidError;
            check = |input: &str| check(input, $kind, $name::PREFIXES, $shown);
            debug = named;
        }

        impl $name {
            /// The accepted two-letter prefixes.
            pub const PREFIXES: &'static [&'static str] = &[$($prefix),+];
        }
    };
}

sid_type!(
    /// An account (`AC…`). Not a secret: it goes in every request path.
    AccountSid, "Account", "AC", ["AC"]
);
sid_type!(
    /// An API key (`SK…`): the Basic-auth user name of API-key credentials.
    ApiKeySid, "API key", "SK", ["SK"]
);
sid_type!(
    /// A message: `SM…` (SMS) or `MM…` (MMS).
    MessageSid, "Message", "SM or MM", ["SM", "MM"]
);
sid_type!(
    /// A Messaging Service (`MG…`), a sender pool.
    MessagingServiceSid, "Messaging Service", "MG", ["MG"]
);
sid_type!(
    /// An incoming phone number owned by an account (`PN…`).
    PhoneNumberSid, "IncomingPhoneNumber", "PN", ["PN"]
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hex32() -> impl Strategy<Value = String> {
        "[0-9a-fA-F]{32}"
    }

    proptest! {
        #[test]
        fn any_prefix_plus_32_hex_digits_round_trips(digits in hex32()) {
            let raw = format!("AC{digits}");
            let sid = AccountSid::parse(&raw).unwrap();
            prop_assert_eq!(sid.as_str(), raw.as_str());
            let json = serde_json::to_string(&sid).unwrap();
            prop_assert_eq!(serde_json::from_str::<AccountSid>(&json).unwrap(), sid);
        }

        #[test]
        fn message_sids_accept_both_sm_and_mm(digits in hex32(), mms in any::<bool>()) {
            let raw = format!("{}{digits}", if mms { "MM" } else { "SM" });
            prop_assert!(MessageSid::parse(&raw).is_ok());
        }

        #[test]
        fn a_sid_of_another_kind_is_rejected_with_its_prefix(digits in hex32()) {
            let err = AccountSid::parse(&format!("SK{digits}")).unwrap_err();
            prop_assert_eq!(err, SidError::Prefix { kind: "Account", prefixes: "AC", found: "SK".into() });
        }

        #[test]
        fn any_non_hex_character_is_rejected(digits in hex32(), at in 0usize..32, bad in "[g-zG-Z_ -]") {
            let mut chars: Vec<char> = digits.chars().collect();
            chars[at] = bad.chars().next().unwrap();
            let raw: String = format!("MG{}", chars.into_iter().collect::<String>());
            let is_not_hex = matches!(MessagingServiceSid::parse(&raw), Err(SidError::NotHex { .. }));
            prop_assert!(is_not_hex);
        }

        #[test]
        fn arbitrary_strings_never_panic_and_only_valid_ones_parse(input in any::<String>()) {
            let valid = input.len() == 34
                && input.starts_with("PN")
                && input[2..].bytes().all(|b| b.is_ascii_hexdigit());
            prop_assert_eq!(PhoneNumberSid::parse(&input).is_ok(), valid);
        }

        #[test]
        fn wrong_lengths_are_rejected(digits in "[0-9a-f]{0,40}") {
            prop_assume!(digits.len() != 32);
            let is_length = matches!(ApiKeySid::parse(&format!("SK{digits}")), Err(SidError::Length { .. }));
            prop_assert!(is_length);
        }
    }

    #[test]
    fn the_length_message_names_the_kind_and_the_shape() {
        let err = MessageSid::parse("SM123").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a Message SID must be 34 characters (SM or MM followed by 32 hex digits), got 5"
        );
    }
}
