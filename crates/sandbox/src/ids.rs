//! Twilio-shaped identifiers: a two-letter prefix and 32 lower-case hex digits, plus tokens.

use rand::Rng;
use rand::distr::Alphanumeric;

/// A new random SID such as `SM` + 32 hex digits.
pub(crate) fn sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

/// A new SID whose last 16 hex digits carry `seq`, so paging tokens (`PA` + SID, as Twilio's)
/// still locate their place after the item was deleted; the first 16 are random.
pub(crate) fn sid_with_seq(prefix: &str, seq: u64) -> String {
    format!("{prefix}{:016x}{seq:016x}", rand::random::<u64>())
}

/// The `seq` a [`sid_with_seq`] SID carries.
pub(crate) fn seq_of(sid: &str) -> Option<u64> {
    let hex = sid.get(18..34)?;
    if sid.len() != 34 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// A new auth token: 32 hex digits, like Twilio's.
pub(crate) fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A new API key secret: 32 alphanumeric characters, like Twilio's.
pub(crate) fn key_secret() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `value` has the shape `{prefix}` + 32 hex digits.
    fn is_sid(value: &str, prefix: &str) -> bool {
        value.len() == 34
            && value.starts_with(prefix)
            && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
    }

    #[test]
    fn sids_have_twilio_shape_and_carry_their_sequence() {
        let message = sid_with_seq("SM", 42);
        assert!(is_sid(&message, "SM"), "{message}");
        assert_eq!(seq_of(&message), Some(42));
        assert!(is_sid(&sid("AC"), "AC"));
        assert!(!is_sid("AC123", "AC"));
        assert_eq!(token().len(), 32);
        assert_eq!(key_secret().len(), 32);
        assert_eq!(seq_of("SMshort"), None);
    }
}
