use proptest::prelude::*;

use super::*;

#[test]
fn a_us_national_number_is_rejected_with_its_e164_form() {
    let err = PhoneNumber::parse("From", "(415) 555-2671").unwrap_err();
    assert_eq!(
        err.to_string(),
        "The From number (415) 555-2671 is not in E.164 form: use +14155552671"
    );
    assert_eq!(err.field(), "From");
}

#[test]
fn an_international_number_with_spaces_gets_the_compact_form() {
    let err = PhoneNumber::parse("To", "+44 20 7946 0958").unwrap_err();
    assert_eq!(
        err.to_string(),
        "The To number +44 20 7946 0958 is not in E.164 form: use +442079460958"
    );
}

#[test]
fn e164_numbers_parse_including_fictional_and_magic_test_numbers() {
    for input in [
        "+14155552671",
        "+442079460958",
        "+15557770001",
        "+15005550006",
        " +15005550009 ",
    ] {
        let number = PhoneNumber::parse("To", input).unwrap();
        assert_eq!(number.as_str(), input.trim());
    }
}

#[test]
fn empty_garbage_and_unknown_country_codes_name_the_field_and_the_fix() {
    assert_eq!(
        PhoneNumber::parse("From", "  ").unwrap_err().to_string(),
        "The From number is empty: use E.164 form, e.g. +14155552671"
    );
    assert!(matches!(
        PhoneNumber::parse("To", "call me"),
        Err(PhoneError::NotANumber { .. })
    ));
    assert!(matches!(
        PhoneNumber::parse("To", "+9991234567"),
        Err(PhoneError::UnknownCountryCode { .. })
    ));
    let err = PhoneNumber::parse("To", "020 7946 0958 11").unwrap_err();
    assert!(
        matches!(err, PhoneError::MissingCountryCode { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("The To number 020 7946 0958 11 is not in E.164 form: start with +")
    );
}

#[test]
fn digits_typed_with_a_plus_are_never_rewritten() {
    // libphonenumber reads "12535" after +86 as a carrier prefix and would drop it.
    assert_eq!(
        PhoneNumber::parse("To", "+8612535664359").unwrap().as_str(),
        "+8612535664359"
    );
    let err = PhoneNumber::parse("To", "+86 125 3566 4359").unwrap_err();
    assert_eq!(
        err.to_string(),
        "The To number +86 125 3566 4359 is not in E.164 form: use +8612535664359"
    );
}

#[test]
fn masked_keeps_the_area_code_and_the_last_four_digits() {
    let number = PhoneNumber::parse("To", "+14155552671").unwrap();
    assert_eq!(number.masked(), "+1415•••2671");
    assert_eq!(format!("{number:?}"), "PhoneNumber(+1415•••2671)");
    assert_eq!(number.to_string(), "+14155552671");
}

#[test]
fn serde_uses_the_e164_string_and_rejects_other_forms() {
    let number = PhoneNumber::parse("To", "+14155552671").unwrap();
    assert_eq!(serde_json::to_string(&number).unwrap(), "\"+14155552671\"");
    assert_eq!(
        serde_json::from_str::<PhoneNumber>("\"+14155552671\"").unwrap(),
        number
    );
    let err = serde_json::from_str::<PhoneNumber>("\"415-555-2671\"").unwrap_err();
    assert!(err.to_string().contains("use +14155552671"), "{err}");
}

proptest! {
    #[test]
    fn any_input_is_either_a_canonical_e164_number_or_a_named_error(input in any::<String>()) {
        match PhoneNumber::parse("To", &input) {
            Ok(number) => {
                let digits = number.as_str().strip_prefix('+').unwrap();
                prop_assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(PhoneNumber::parse("To", number.as_str()).unwrap(), number.clone());
                let _ = number.masked();
            }
            Err(err) => {
                prop_assert_eq!(err.field(), "To");
                prop_assert!(err.to_string().starts_with("The To number"));
            }
        }
    }

    #[test]
    fn any_nanp_number_typed_nationally_suggests_plus_one(area in "[2-9][0-8][0-9]", exchange in "[2-9][0-9]{2}", line in "[0-9]{4}", style in 0..4usize) {
        let typed = match style {
            0 => format!("({area}) {exchange}-{line}"),
            1 => format!("{area}-{exchange}-{line}"),
            2 => format!("{area}.{exchange}.{line}"),
            _ => format!("{area}{exchange}{line}"),
        };
        let expected = format!("+1{area}{exchange}{line}");
        match PhoneNumber::parse("From", &typed) {
            Err(PhoneError::NotE164 { suggestion, .. }) => prop_assert_eq!(suggestion, expected),
            other => prop_assert!(false, "{typed}: {other:?}"),
        }
    }

    #[test]
    fn masked_never_shows_the_middle_digits(area in "[2-9][0-9]{2}", middle in "[0-9]{3}", line in "[0-9]{4}") {
        let number = PhoneNumber::parse("To", &format!("+1{area}{middle}{line}")).unwrap();
        let masked = number.masked();
        prop_assert_eq!(masked, format!("+1{area}•••{line}"));
    }
}
