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

#[test]
fn twilio_magic_numbers_and_the_sandbox_scenario_phones_are_accepted() {
    for input in [
        "+15005550000",
        "+15005550001",
        "+15005550002",
        "+15005550003",
        "+15005550004",
        "+15005550006",
        "+15005550007",
        "+15005550008",
        "+15005550009",
        "+15557770000",
        "+15557770005",
        "+15555550100",
        "+14155550100",
        "+447700900123",
        "+33612345678",
        "+4915112345678",
        "+61412345678",
        "+8613800138000",
    ] {
        assert_eq!(PhoneNumber::parse("to", input).unwrap().as_str(), input);
    }
}

#[test]
fn numbers_of_the_wrong_length_for_their_country_are_refused_naming_the_field() {
    for (input, expected) in [
        ("+1415555019", "not a valid North American number"),
        ("+141555501000", "not a valid North American number"),
        ("+14150550100", "not a valid North American number"),
        ("+10415555010", "not a valid North American number"),
        ("+11415555010", "not a valid North American number"),
        ("+4930123", "has 7 digits"),
        (
            "+4420794609581",
            "has 11 digits after the country code +44, where numbers have 7, 9 or 10 digits",
        ),
        ("+3361234567890", "after the country code +33"),
    ] {
        let err = PhoneNumber::parse("from_number", input).unwrap_err();
        assert_eq!(err.field(), "from_number");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("The from_number number {input} "))
                && text.contains(expected),
            "{input}: {text}"
        );
        assert!(text.contains("digit") || text.contains("e.g."), "{text}");
    }
}

#[test]
fn a_zero_after_the_plus_is_refused_even_when_the_next_digits_are_a_country_code() {
    let err = PhoneNumber::parse("from_number", "+04155550100").unwrap_err();
    assert!(matches!(err, PhoneError::LeadingZero { .. }), "{err:?}");
    assert!(err.to_string().contains("without the national 0"), "{err}");
}

#[test]
fn lengths_are_described_as_people_say_them() {
    assert_eq!(describe_lengths(&[9]), "9 digits");
    assert_eq!(describe_lengths(&[9, 10]), "9 or 10 digits");
    assert_eq!(describe_lengths(&[5, 6, 7, 8]), "5 to 8 digits");
    assert_eq!(describe_lengths(&[6, 8, 10]), "6, 8 or 10 digits");
    assert_eq!(possible_lengths(44), vec![7, 9, 10]);
}

proptest! {
    #[test]
    fn every_nanp_number_with_valid_area_code_and_exchange_parses(area in "[2-9][0-9]{2}", exchange in "[2-9][0-9]{2}", line in "[0-9]{4}") {
        let number = format!("+1{area}{exchange}{line}");
        let parsed = PhoneNumber::parse("to", &number).unwrap();
        prop_assert_eq!(parsed.as_str(), number.as_str());
    }

    #[test]
    fn nanp_numbers_with_an_area_code_or_exchange_starting_0_or_1_are_refused(area in "[0-9]{3}", exchange in "[0-9]{3}", line in "[0-9]{4}") {
        prop_assume!(area.starts_with(['0', '1']) || exchange.starts_with(['0', '1']));
        let refused = matches!(PhoneNumber::parse("to", &format!("+1{area}{exchange}{line}")), Err(PhoneError::NotNanp { .. }));
        prop_assert!(refused);
    }

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
    fn masked_never_shows_the_middle_digits(area in "[2-9][0-9]{2}", middle in "[2-9][0-9]{2}", line in "[0-9]{4}") {
        let number = PhoneNumber::parse("To", &format!("+1{area}{middle}{line}")).unwrap();
        let masked = number.masked();
        prop_assert_eq!(masked, format!("+1{area}•••{line}"));
    }
}
