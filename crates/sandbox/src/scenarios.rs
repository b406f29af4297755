//! Scenario "phones": destination numbers whose delivery goes wrong in a documented way, so tests
//! and demos can reach every branch of a delivery tracker. Every other valid number is delivered.

/// Undelivered with 30003 (unreachable destination handset).
pub const UNREACHABLE: &str = "+15557770001";
/// Undelivered with 30005 (unknown destination handset).
pub const UNKNOWN_HANDSET: &str = "+15557770002";
/// Undelivered with 30006 (landline or unreachable carrier).
pub const LANDLINE: &str = "+15557770003";
/// Undelivered with 30007 (carrier filtering).
pub const CARRIER_FILTERED: &str = "+15557770004";
/// Reaches `sent` and stays there: no delivery receipt ever comes (for reconciler tests).
pub const NO_RECEIPT: &str = "+15557770005";

/// How a message to a given number ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `delivered`, and the phone's inbox receives the message.
    Delivered,
    /// `undelivered` with this 30xxx error code and message.
    Undelivered { code: u32, message: &'static str },
    /// Stays `sent` forever.
    StaysSent,
}

/// The outcome of a message sent to `to`.
pub fn outcome(to: &str) -> Outcome {
    match to {
        UNREACHABLE => undelivered(30003, "Unreachable destination handset"),
        UNKNOWN_HANDSET => undelivered(30005, "Unknown destination handset"),
        LANDLINE => undelivered(30006, "Landline or unreachable carrier"),
        CARRIER_FILTERED => undelivered(30007, "Message filtered"),
        NO_RECEIPT => Outcome::StaysSent,
        _ => Outcome::Delivered,
    }
}

fn undelivered(code: u32, message: &'static str) -> Outcome {
    Outcome::Undelivered { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scenario_phone_has_its_own_outcome() {
        assert_eq!(
            outcome(UNREACHABLE),
            undelivered(30003, "Unreachable destination handset")
        );
        assert!(matches!(
            outcome(UNKNOWN_HANDSET),
            Outcome::Undelivered { code: 30005, .. }
        ));
        assert!(matches!(
            outcome(LANDLINE),
            Outcome::Undelivered { code: 30006, .. }
        ));
        assert!(matches!(
            outcome(CARRIER_FILTERED),
            Outcome::Undelivered { code: 30007, .. }
        ));
        assert_eq!(outcome(NO_RECEIPT), Outcome::StaysSent);
        assert_eq!(outcome("+14155552671"), Outcome::Delivered);
    }
}
