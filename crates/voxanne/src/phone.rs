//! Phone numbers in E.164 form (`+14155552671`), the only form Twilio accepts without guessing.
//!
//! Clinic staff paste numbers as they see them ("(415) 555-2671"), so a rejection has to say which
//! field was wrong and what to type instead. Every number the API takes (senders, test and alert
//! recipients, lead phones) goes through [`PhoneNumber::parse`], so one rule holds everywhere:
//!
//! - `+`, then a country code libphonenumber knows (never a leading 0), 8 to 15 digits in all;
//! - for +1 (NANP) exactly 10 more digits, area code and exchange each starting with 2–9;
//! - elsewhere, a national length that libphonenumber lists as possible for that country code.
//!
//! It does not require the number to be assigned (libphonenumber's `is_valid`), so fictional 555
//! numbers and Twilio's magic test numbers (+1500555…) stay usable, and it never rewrites the
//! digits of a number typed with `+`.

use std::fmt;

use phonenumber::country;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A phone number in E.164 form: `+`, a country code, the national number, 8–15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Fewest digits (country code included) we accept. libphonenumber allows 4-digit national
/// numbers in a few territories, but a 7-digit `+4930123` is far more often a number cut short.
const MIN_DIGITS: usize = 8;
/// ITU-T E.164: at most 15 digits, country code included.
const MAX_DIGITS: usize = 15;

/// Why a string is not a usable phone number. The `Display` text is meant for people and always
/// ends with the fix.
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
        "The {field} number {input} has a 0 right after the +, and no country code starts with 0: \
         write the country code without the national 0, e.g. +14155552671 or +442079460958"
    )]
    LeadingZero { field: String, input: String },
    #[error(
        "The {field} number {input} does not start with a known country code: use E.164 form, e.g. +14155552671"
    )]
    UnknownCountryCode { field: String, input: String },
    #[error(
        "The {field} number {input} has {digits} digits: a full number has {MIN_DIGITS} to {MAX_DIGITS} \
         with the country code; check for a missing or extra digit"
    )]
    WrongTotalLength {
        field: String,
        input: String,
        digits: usize,
    },
    #[error(
        "The {field} number {input} is not a valid North American number: +1 must be followed by \
         exactly 10 digits, the area code and the exchange each starting with 2-9, e.g. +14155552671"
    )]
    NotNanp { field: String, input: String },
    #[error(
        "The {field} number {input} has {national_digits} digits after the country code \
         +{country_code}, where numbers have {expected}: check for a missing or extra digit"
    )]
    WrongLengthForCountry {
        field: String,
        input: String,
        country_code: u16,
        national_digits: usize,
        expected: String,
    },
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
            | PhoneError::LeadingZero { field, .. }
            | PhoneError::UnknownCountryCode { field, .. }
            | PhoneError::WrongTotalLength { field, .. }
            | PhoneError::NotNanp { field, .. }
            | PhoneError::WrongLengthForCountry { field, .. }
            | PhoneError::NotANumber { field, .. } => field,
        }
    }
}

impl PhoneNumber {
    /// Parses `input` as an E.164 number; `field` ("from_number", "to[0]", …) names it in the error.
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
            if digits.is_empty() {
                return Err(PhoneError::NotANumber {
                    field,
                    input: shown,
                });
            }
            check_digits(&field, &shown, &digits)?;
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

/// The numbering rules for the digits after `+` (country code first).
fn check_digits(field: &str, shown: &str, digits: &str) -> Result<(), PhoneError> {
    let field = field.to_owned();
    let input = shown.to_owned();
    if digits.starts_with('0') {
        return Err(PhoneError::LeadingZero { field, input });
    }
    let Some((country_code, national)) = split_country_code(digits) else {
        return Err(PhoneError::UnknownCountryCode { field, input });
    };
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
        return Err(PhoneError::WrongTotalLength {
            field,
            input,
            digits: digits.len(),
        });
    }
    if country_code == 1 {
        // NANP: NPA-NXX-XXXX. libphonenumber's +1 lengths also allow 7-digit local numbers.
        let bytes = national.as_bytes();
        let nanp = bytes.len() == 10 && bytes[0] >= b'2' && bytes[3] >= b'2';
        return if nanp {
            Ok(())
        } else {
            Err(PhoneError::NotNanp { field, input })
        };
    }
    let lengths = possible_lengths(country_code);
    let national_digits = national.len();
    match u16::try_from(national_digits) {
        // No length data (some non-geographic codes): the E.164 bounds above are all we know.
        _ if lengths.is_empty() => Ok(()),
        Ok(length) if lengths.contains(&length) => Ok(()),
        _ => Err(PhoneError::WrongLengthForCountry {
            field,
            input,
            country_code,
            national_digits,
            expected: describe_lengths(&lengths),
        }),
    }
}

/// The exact rule of [`PhoneNumber::parse`] as a regular expression (ECMAScript/Python syntax), for
/// the API's OpenAPI document: the same country codes and national lengths, built from the same
/// libphonenumber metadata, and the surrounding white space the parser trims.
pub fn e164_pattern() -> String {
    // Country codes grouped by the national-number lengths they take.
    let mut groups: Vec<(Vec<usize>, Vec<u16>)> = Vec::new();
    for code in 2..=999u16 {
        if DATABASE.by_code(&code).is_none() {
            continue;
        }
        let code_digits = code.to_string().len();
        let possible = possible_lengths(code);
        let total = |national: usize| (MIN_DIGITS..=MAX_DIGITS).contains(&(code_digits + national));
        let lengths: Vec<usize> = if possible.is_empty() {
            (1..=MAX_DIGITS).filter(|&n| total(n)).collect()
        } else {
            possible
                .iter()
                .map(|&n| usize::from(n))
                .filter(|&n| total(n))
                .collect()
        };
        if lengths.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(known, _)| *known == lengths) {
            Some((_, codes)) => codes.push(code),
            None => groups.push((lengths, vec![code])),
        }
    }
    let mut branches = vec!["1[2-9][0-9]{2}[2-9][0-9]{6}".to_owned()];
    for (lengths, codes) in groups {
        let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
        branches.push(format!("(?:{}){}", codes.join("|"), digit_run(&lengths)));
    }
    // Rust's `str::trim` removes Unicode White_Space, listed here one by one.
    let space =
        "[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*";
    format!("^{space}\\+(?:{}){space}$", branches.join("|"))
}

/// `[0-9]{n}` for each length (sorted), runs of consecutive lengths as `{a,b}`.
fn digit_run(lengths: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &n in lengths {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let runs: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                format!("[0-9]{{{a}}}")
            } else {
                format!("[0-9]{{{a},{b}}}")
            }
        })
        .collect();
    match runs.as_slice() {
        [one] => one.clone(),
        _ => format!("(?:{})", runs.join("|")),
    }
}

/// The country calling code libphonenumber knows at the start of `digits`, and the rest. Codes are
/// prefix-free (ITU-T E.164), so at most one of the 1–3 digit prefixes matches.
fn split_country_code(digits: &str) -> Option<(u16, &str)> {
    (1..=3).find_map(|n| {
        let code = digits.get(..n)?.parse::<u16>().ok()?;
        DATABASE
            .by_code(&code)
            .is_some()
            .then(|| (code, &digits[n..]))
    })
}

/// Every national length libphonenumber lists as possible for a country code, over all regions
/// sharing the code and all number types (its general description leaves them out).
fn possible_lengths(country_code: u16) -> Vec<u16> {
    let mut lengths: Vec<u16> = DATABASE
        .by_code(&country_code)
        .into_iter()
        .flatten()
        .flat_map(|meta| {
            let d = meta.descriptors();
            [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            .flat_map(|desc| desc.possible_length().iter().copied())
        })
        .filter(|&length| length > 0)
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

/// "9 digits", "9 or 10 digits", "5 to 11 digits", "6, 8 or 10 digits".
fn describe_lengths(lengths: &[u16]) -> String {
    match lengths {
        [] => "a different number of digits".to_owned(),
        [one] => format!("{one} digits"),
        [first, .., last]
            if usize::from(last - first) + 1 == lengths.len() && lengths.len() > 2 =>
        {
            format!("{first} to {last} digits")
        }
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(u16::to_string).collect();
            format!("{} or {last} digits", init.join(", "))
        }
    }
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
