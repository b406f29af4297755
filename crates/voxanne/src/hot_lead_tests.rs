use proptest::prelude::*;

use super::*;
use crate::sms::{Encoding, count};

fn lead(name: &str, reason: &str, time: Option<&str>, call_id: Option<&str>) -> Lead {
    Lead {
        name: name.to_owned(),
        phone: PhoneNumber::parse("phone", "+14155552671").unwrap(),
        reason: reason.to_owned(),
        preferred_time: time.map(str::to_owned),
        call_id: call_id.map(str::to_owned),
    }
}

#[test]
fn a_typical_lead_renders_every_field_in_one_gsm7_segment() {
    let text = render(
        &lead(
            "Maria Núñez",
            "new patient cleaning 🦷",
            Some("Tue morning"),
            Some("call_8f2k"),
        ),
        "Bright Smile Dental",
    );
    assert_eq!(
        text,
        "Hot lead for Bright Smile Dental: Maria Nuñez, +14155552671\nWants: new patient cleaning\n\
         Best time: Tue morning\nPlease call back ASAP. Ref call_8f2k"
    );
    let segments = count(&text);
    assert_eq!((segments.encoding, segments.segments), (Encoding::Gsm7, 1));
}

#[test]
fn a_long_reason_is_cut_with_dots_and_the_phone_survives() {
    let reason = "wants to discuss a full mouth reconstruction including implants, veneers and whitening before her wedding next spring";
    let text = render(
        &lead(
            "José Álvarez",
            reason,
            Some("after 5pm weekdays"),
            Some("call_1"),
        ),
        "Riverside Family Dentistry",
    );
    assert!(
        text.chars().count() <= MAX_SEPTETS,
        "{} chars: {text}",
        text.chars().count()
    );
    assert!(text.contains("+14155552671"));
    // é is in GSM-7; Á is not.
    assert!(text.contains("José Alvarez"), "{text}");
    assert!(text.contains("..."), "{text}");
    assert_eq!(count(&text).segments, 1);
}

#[test]
fn empty_fields_get_placeholders_and_optional_lines_disappear() {
    let text = render(&lead("  ", "🙂", None, Some("")), "");
    assert_eq!(
        text,
        "Hot lead for your clinic: Caller, +14155552671\nWants: not given\nPlease call back ASAP."
    );
}

#[test]
fn newlines_and_extension_characters_cannot_break_the_layout() {
    let text = render(
        &lead("Ann\n\nLee", "price [cash] {insurance} ~ 100€", None, None),
        "A|B",
    );
    assert_eq!(
        text,
        "Hot lead for A/B: Ann Lee, +14155552671\nWants: price (cash) (insurance) - 100EUR\nPlease call back ASAP."
    );
}

#[test]
fn names_in_other_scripts_are_transliterated_not_dropped() {
    for (name, expected) in [
        ("王小明", "Wang Xiao Ming"),
        ("Nguyễn Văn An", "Nguyen Van An"),
        ("Zoë Ångström-Ďurová", "Zoe Ångström-Durova"), // Å and ö are GSM-7 letters
    ] {
        let text = render(&lead(name, "cleaning", None, None), "Bright Smile");
        assert!(
            text.starts_with(&format!("Hot lead for Bright Smile: {expected}, ")),
            "{name}: {text}"
        );
    }
    let arabic = render(&lead("محمد الأحمد", "cleaning", None, None), "Bright Smile");
    let name = arabic
        .strip_prefix("Hot lead for Bright Smile: ")
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    assert!(name.len() > 3 && name != "Caller", "{arabic}");
    let emoji = render(&lead("👍", "cleaning", None, None), "Bright Smile");
    assert!(
        emoji.starts_with("Hot lead for Bright Smile: Caller, "),
        "{emoji}"
    );
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC{0,300}", "[a-zA-Zéüñ😀 ]{0,200}"]
}

proptest! {
    #[test]
    fn any_unicode_renders_as_one_gsm7_segment(
        name in any_text(), reason in any_text(), clinic in any_text(),
        time in prop::option::of(any_text()), call_id in prop::option::of(any_text()),
        phone in "\\+1[2-9][0-9]{2}[2-9][0-9]{6}|\\+44[1-9][0-9]{9}|\\+861[0-9]{10}",
    ) {
        let lead = Lead {
            name, reason, preferred_time: time, call_id,
            phone: PhoneNumber::parse("phone", &phone).unwrap(),
        };
        let text = render(&lead, &clinic);
        prop_assert!(text.chars().all(crate::sms::is_gsm7_basic), "{text:?}");
        prop_assert!(text.chars().count() <= MAX_SEPTETS, "{} chars: {text:?}", text.chars().count());
        let segments = count(&text);
        prop_assert_eq!((segments.encoding, segments.segments), (Encoding::Gsm7, 1));
        prop_assert!(text.contains(lead.phone.as_str()));
    }

    #[test]
    fn short_latin_fields_are_kept_whole(name in "[A-Z][a-z]{1,12} [A-Z][a-z]{1,12}", reason in "[a-z]{3,10}( [a-z]{2,10}){0,3}") {
        let text = render(&lead(&name, &reason, None, None), "Clinic");
        prop_assert!(text.contains(&name));
        prop_assert!(text.contains(&reason));
    }
}

#[test]
fn a_booked_lead_says_when_in_place_of_the_preferred_time_within_one_segment() {
    let long = "x".repeat(300);
    let lead = lead(&long, &long, Some("mornings"), Some(&long));

    let text = render_booked(&lead, &long, Some("Tue 3:00 PM"));

    assert!(text.contains("\nBooked Tue 3:00 PM"), "{text}");
    assert!(!text.contains("Best time"), "{text}");
    assert!(text.chars().count() <= MAX_SEPTETS, "{text}");
    assert!(text.chars().all(crate::sms::is_gsm7_basic), "{text}");
}
