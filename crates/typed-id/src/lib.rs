//! One way to declare a typed identifier: a `String` newtype per kind that can only be built by
//! parsing, so an id of one kind can never stand where another is expected.
//!
//! Each user brings its own rule (Twilio's SIDs: a two-letter prefix and 32 hex digits;
//! Voxanne's ids: `org_` and 26 lowercase letters or digits) and its own error type; the
//! newtype around it (parse, `Display`, `FromStr`, `AsRef<str>`, serde that validates on the
//! way in) is written once, here.
#![forbid(unsafe_code)]

/// What the expansion of [`typed_id!`] names, so users need no direct dependency on serde.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

/// Declares a typed identifier.
///
/// ```
/// #[derive(Debug, PartialEq)]
/// pub struct NotAnOrder;
///
/// impl std::fmt::Display for NotAnOrder {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("an order id starts with `ord_`")
///     }
/// }
///
/// typed_id::typed_id! {
///     /// An order.
///     pub struct OrderId;
///     error = NotAnOrder;
///     check = |input: &str| if input.starts_with("ord_") { Ok(()) } else { Err(NotAnOrder) };
///     debug = named;
/// }
///
/// let id = OrderId::parse("ord_42").unwrap();
/// assert_eq!(id.to_string(), "ord_42");
/// assert_eq!(format!("{id:?}"), "OrderId(ord_42)");
/// assert_eq!("cus_1".parse::<OrderId>(), Err(NotAnOrder));
/// ```
///
/// `check` is called with the candidate text and returns `Result<(), error>`; `error` must be
/// `Display` (serde reports it as a custom error). `debug = named` prints `OrderId(ord_42)`,
/// `debug = bare` prints `ord_42`; ids are not secrets, so either shows the id itself.
#[macro_export]
macro_rules! typed_id {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident;
        error = $error:ty;
        check = $check:expr;
        debug = $debug:ident;
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $name(::std::string::String);

        impl $name {
            /// Parses `input`, refusing anything that is not an id of this kind.
            pub fn parse(input: &str) -> ::std::result::Result<Self, $error> {
                ($check)(input)?;
                ::std::result::Result::Ok(Self(input.to_owned()))
            }

            /// The id as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        $crate::typed_id!(@debug $debug $name);

        impl ::std::str::FromStr for $name {
            type Err = $error;
            fn from_str(input: &str) -> ::std::result::Result<Self, $error> {
                Self::parse(input)
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(&self.0)
            }
        }

        // Deserializing validates too, so a bad id in a request or a file is refused up front.
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let raw = <::std::string::String as $crate::__private::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                Self::parse(&raw)
                    .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };

    (@debug named $name:ident) => {
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };

    (@debug bare $name:ident) => {
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("`{0}` is not a ticket id: expected `tk_` and digits")]
    struct NotATicket(String);

    fn ticket(input: &str) -> Result<(), NotATicket> {
        let valid = input
            .strip_prefix("tk_")
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        if valid {
            Ok(())
        } else {
            Err(NotATicket(input.to_owned()))
        }
    }

    typed_id! {
        /// A ticket, for the tests.
        struct TicketId;
        error = NotATicket;
        check = ticket;
        debug = named;
    }

    typed_id! {
        struct BareTicketId;
        error = NotATicket;
        check = |input: &str| ticket(input);
        debug = bare;
    }

    #[test]
    fn debug_is_named_or_bare_as_declared() {
        let named = TicketId::parse("tk_7").unwrap();
        let bare = BareTicketId::parse("tk_7").unwrap();
        assert_eq!(format!("{named:?}"), "TicketId(tk_7)");
        assert_eq!(format!("{bare:?}"), bare.as_str());
    }

    #[test]
    fn the_rules_error_comes_back_unchanged_from_every_door() {
        let expected = NotATicket("tk_x".into());
        assert_eq!(TicketId::parse("tk_x"), Err(expected.clone()));
        assert_eq!("tk_x".parse::<TicketId>(), Err(expected));
        let err = serde_json::from_str::<TicketId>("\"tk_x\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`tk_x` is not a ticket id: expected `tk_` and digits"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn a_valid_id_round_trips_through_every_door(digits in "[0-9]{1,12}") {
            let text = format!("tk_{digits}");
            let id = TicketId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
            prop_assert_eq!(id.as_ref(), text.as_str());
            prop_assert_eq!(id.to_string(), text.clone());
            prop_assert_eq!(text.parse::<TicketId>().unwrap(), id.clone());
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(&json, &format!("\"{text}\""));
            prop_assert_eq!(serde_json::from_str::<TicketId>(&json).unwrap(), id);
        }

        #[test]
        fn parse_accepts_exactly_what_the_rule_accepts(input in "\\PC{0,20}") {
            prop_assert_eq!(TicketId::parse(&input).is_ok(), ticket(&input).is_ok());
            prop_assert_eq!(serde_json::from_value::<TicketId>(input.clone().into()).is_ok(), ticket(&input).is_ok());
        }
    }
}
