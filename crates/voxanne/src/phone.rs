//! Phone numbers in E.164 form (`+14155552671`), the only form Twilio accepts without guessing.
//!
//! Clinic staff paste numbers as they see them ("(415) 555-2671"), so a rejection has to say which
//! field was wrong and what to type instead. Parsing goes through `phonenumber`
//! (libphonenumber's metadata) to recognise the country code and to read US national forms; it does
//! not require the number to be assigned, so fictional 555 numbers and Twilio's magic test
//! numbers stay usable, and it never rewrites the digits of a number typed with `+`.

use std::fmt;

use phonenumber::country;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A phone number in E.164 form: `+`, a country code, the national number, 8–15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Why a string is not a usable phone number. The `Display` text is meant for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("The {field} number is empty: use E.164 form, e.g. +14155552671")]
    Empty { field: String },
    #[error("The {field} number {input} is not in E.164 form: use {suggestion}")]
    NotE164 {
        field: String,
        input: String,
        suggestion: String,
    },
    #[error(
        "The {field} number {input} is not in E.164 form: start with + and the country code, \
         e.g. +14155552671 for a US number"
    )]
    MissingCountryCode { field: String, input: String },
    #[error(
        "The {field} number {input} does not start with a known country code: use E.164 form, e.g. +14155552671"
    )]
    UnknownCountryCode { field: String, input: String },
    #[error("The {field} number {input} is not a phone number: use E.164 form, e.g. +14155552671")]
    NotANumber { field: String, input: String },
}

impl PhoneError {
    /// The field the number came from, as given to [`PhoneNumber::parse`].
    pub fn field(&self) -> &str {
        match self {
            PhoneError::Empty { field }
            | PhoneError::NotE164 { field, .. }
            | PhoneError::MissingCountryCode { field, .. }
            | PhoneError::UnknownCountryCode { field, .. }
            | PhoneError::NotANumber { field, .. } => field,
        }
    }
}

impl PhoneNumber {
    /// Parses `input` as an E.164 number; `field` ("From", "To", …) names it in the error.
    pub fn parse(field: &str, input: &str) -> Result<Self, PhoneError> {
        let field = field.to_owned();
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty { field });
        }
        // Error messages echo the input; keep them one readable line.
        let shown: String = trimmed
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect();
        if let Some(rest) = trimmed.strip_prefix('+') {
            // Only formatting characters may go; the digits are the user's and are never rewritten.
            if !rest
                .chars()
                .all(|c| c.is_ascii_digit() || " -.()/".contains(c))
            {
                return Err(PhoneError::NotANumber {
                    field,
                    input: shown,
                });
            }
            let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
            if !(7..=15).contains(&digits.len()) {
                return Err(PhoneError::NotANumber {
                    field,
                    input: shown,
                });
            }
            if !known_country_code(&digits) {
                return Err(PhoneError::UnknownCountryCode {
                    field,
                    input: shown,
                });
            }
            let e164 = format!("+{digits}");
            return if e164 == trimmed {
                Ok(Self(e164))
            } else {
                Err(PhoneError::NotE164 {
                    field,
                    input: shown,
                    suggestion: e164,
                })
            };
        }
        // No `+`: staff often type a US national number; suggest its E.164 form when it is one.
        if let Some(e164) = us_e164(trimmed) {
            return Err(PhoneError::NotE164 {
                field,
                input: shown,
                suggestion: e164,
            });
        }
        if trimmed.chars().filter(char::is_ascii_digit).count() >= 7 {
            Err(PhoneError::MissingCountryCode {
                field,
                input: shown,
            })
        } else {
            Err(PhoneError::NotANumber {
                field,
                input: shown,
            })
        }
    }

    /// The E.164 string, e.g. `+14155552671`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: country and area code plus the last four digits, e.g. `+1415•••2671`.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let (head, tail) = if digits.len() >= 10 { (4, 4) } else { (2, 2) };
        format!("+{}•••{}", &digits[..head], &digits[digits.len() - tail..])
    }
}

/// True when the digits start with a country calling code libphonenumber knows. Codes are
/// prefix-free (ITU-T E.164), so at most one of the 1–3 digit prefixes matches.
fn known_country_code(digits: &str) -> bool {
    (1..=3).any(|n| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u16>().ok())
            .is_some_and(|code| DATABASE.by_code(&code).is_some())
    })
}

/// The E.164 form of a US national number ("(415) 555-2671", "1-415-555-2671"), when libphonenumber
/// reads it as one without changing its digits.
fn us_e164(input: &str) -> Option<String> {
    let parsed = phonenumber::parse(Some(country::Id::US), input).ok()?;
    if parsed.extension().is_some() || parsed.code().value() != 1 {
        return None;
    }
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    let typed: String = input.chars().filter(char::is_ascii_digit).collect();
    (e164.len() == 12 && (e164[1..] == typed || e164[2..] == typed)).then_some(e164)
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masked: a `Debug` print usually ends up in a log line.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        PhoneNumber::parse("phone", &raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "phone_tests.rs"]
mod tests;
