//! Typed, prefixed identifiers (`org_…`, `cred_…`, `key_…`, `usr_…`, `msg_…`).
//!
//! A prefix tells a human (and a log reader) what an id points at, and a distinct Rust type per
//! kind means an `OrgId` can never be passed where a `CredentialId` is expected. Bodies are random
//! (not sequential) so ids leak nothing about volume or order, and use only `[0-9a-z]` so they are
//! URL-safe and survive case-folding systems.

use rand::Rng;

/// Number of random characters after the prefix: 26 × log2(36) ≈ 134 bits.
pub const BODY_LEN: usize = 26;

const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Why a string is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{shown}` is not a valid {kind} id: expected `{prefix}` followed by {BODY_LEN} lowercase letters or digits"
)]
pub struct IdError {
    kind: &'static str,
    prefix: &'static str,
    shown: String,
}

fn random_body() -> String {
    let mut rng = rand::rng();
    (0..BODY_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn validate(kind: &'static str, prefix: &'static str, value: &str) -> Result<(), IdError> {
    let valid = value.strip_prefix(prefix).is_some_and(|body| {
        body.len() == BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    });
    if valid {
        Ok(())
    } else {
        // Echo at most a short, printable excerpt: the input may be garbage of any length.
        let shown: String = value.chars().take(48).filter(|c| !c.is_control()).collect();
        Err(IdError {
            kind,
            prefix,
            shown,
        })
    }
}

/// An id type per kind, on the workspace's one typed-id facility, plus what only stored ids
/// need: a prefix and generation. (Their database encoding is the store's: `store::id_columns`.)
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $prefix:literal) => {
        // Ids are not secret: Debug shows the id itself, which is what a log reader needs.
        typed_id::typed_id! {
            $(#[$doc])*
            pub struct $name;
            error = IdError;
            check = |value: &str| validate($kind, $prefix, value);
            debug = bare;
        }

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new random id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_body()))
            }
        }
    };
}

prefixed_id!(
    /// An organization (a clinic): the tenant every other record belongs to.
    OrgId, "organization", "org_"
);
prefixed_id!(
    /// A stored Twilio or Google Calendar credential.
    CredentialId, "credential", "cred_"
);
prefixed_id!(
    /// An API key record (the id is public; the key itself is shown once).
    ApiKeyId, "API key", "key_"
);
prefixed_id!(
    /// A dashboard user.
    UserId, "user", "usr_"
);
prefixed_id!(
    /// An outbound message.
    MessageId, "message", "msg_"
);
prefixed_id!(
    /// A calendar appointment booked through Voxanne.
    AppointmentId, "appointment", "appt_"
);
prefixed_id!(
    /// A webhook endpoint of an organization.
    WebhookEndpointId, "webhook endpoint", "whk_"
);
prefixed_id!(
    /// An event sent to webhook endpoints (its `webhook-id`, the same on every retry).
    WebhookEventId, "webhook event", "evt_"
);
prefixed_id!(
    /// One attempt to deliver an event to an endpoint.
    WebhookAttemptId, "webhook attempt", "wha_"
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = OrgId::generate();
        let b = OrgId::generate();
        assert_ne!(a, b);
        assert_eq!(OrgId::parse(a.as_str()).unwrap(), a);
        assert!(a.as_str().starts_with("org_"));
        assert_eq!(a.as_str().len(), 4 + BODY_LEN);
    }

    #[test]
    fn an_id_of_another_kind_is_refused_with_a_message_naming_the_kind() {
        let cred = CredentialId::generate();
        let err = OrgId::parse(cred.as_str()).unwrap_err();
        assert!(err.to_string().contains("organization id"), "{err}");
        assert!(err.to_string().contains("`org_`"), "{err}");
    }

    #[test]
    fn serde_round_trips_and_rejects_garbage() {
        let id = MessageId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<MessageId>("\"msg_short\"").is_err());
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_prefix_plus_body(body in "[0-9a-z]{26}") {
            let text = format!("usr_{body}");
            let parsed = UserId::parse(&text).unwrap();
            prop_assert_eq!(parsed.as_str(), text.as_str());
        }

        #[test]
        fn parse_never_panics_and_rejects_anything_malformed(input in "\\PC{0,60}") {
            let ok = input.strip_prefix("key_").is_some_and(|b| {
                b.len() == BODY_LEN && b.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
            });
            prop_assert_eq!(ApiKeyId::parse(&input).is_ok(), ok);
        }

        #[test]
        fn wrong_length_or_uppercase_bodies_are_refused(body in "[0-9a-zA-Z]{0,40}") {
            let expected = body.len() == BODY_LEN && !body.bytes().any(|c| c.is_ascii_uppercase());
            prop_assert_eq!(CredentialId::parse(&format!("cred_{body}")).is_ok(), expected);
        }
    }
}
