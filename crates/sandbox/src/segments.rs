//! How many SMS segments a body costs, by the GSM 03.38 / UCS-2 rules Twilio bills by.
//!
//! GSM-7 fits 160 septets in a lone segment and 153 per part of a concatenated message (the
//! 6-byte header takes the rest); extension characters (`^ { } \ [ ] ~ | €`, form feed) cost two
//! septets and are never split across parts. One character outside GSM-7 switches the whole body
//! to UCS-2: 70 UTF-16 units alone, 67 per part, and a surrogate pair (an emoji) is never split.

/// The encoding a body is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The GSM 03.38 basic character set (without the escape code itself), ASCII part.
const GSM7_BASIC_ASCII: &str = "@$\n\r_ !\"#%&'()*+,-./0123456789:;<=>?\
ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The GSM 03.38 basic character set, non-ASCII part.
const GSM7_BASIC_OTHER: &str = "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";

/// Septets per ASCII character (0 = not in GSM-7), built once at compile time so counting is a
/// table lookup on the create path.
const ASCII_SEPTETS: [u8; 128] = ascii_table();

const fn ascii_table() -> [u8; 128] {
    let mut table = [0u8; 128];
    let basic = GSM7_BASIC_ASCII.as_bytes();
    let mut i = 0;
    while i < basic.len() {
        table[basic[i] as usize] = 1;
        i += 1;
    }
    // The GSM 03.38 extension table (ASCII part; `€` is the other): escape + character.
    let extension = b"^{}\\[~]|\x0C";
    let mut j = 0;
    while j < extension.len() {
        table[extension[j] as usize] = 2;
        j += 1;
    }
    table
}

/// Septets `c` costs in GSM-7, or `None` when it forces UCS-2.
fn septets(c: char) -> Option<usize> {
    match u8::try_from(c) {
        Ok(byte) if byte.is_ascii() => match ASCII_SEPTETS[usize::from(byte)] {
            0 => None,
            cost => Some(usize::from(cost)),
        },
        _ if c == '€' => Some(2),
        _ if GSM7_BASIC_OTHER.contains(c) => Some(1),
        _ => None,
    }
}

/// The encoding Twilio would pick for `body`.
pub fn encoding(body: &str) -> Encoding {
    if body.chars().all(|c| septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The number of segments `body` is split into (at least 1).
pub fn count(body: &str) -> u32 {
    match encoding(body) {
        Encoding::Gsm7 => pack(body.chars().map(|c| septets(c).unwrap_or(1)), 160, 153),
        Encoding::Ucs2 => pack(body.chars().map(char::len_utf16), 70, 67),
    }
}

/// Fills parts greedily without splitting a character's units; a body that fits `single` units is
/// one segment, otherwise parts hold at most `part` units.
fn pack(units: impl Iterator<Item = usize> + Clone, single: usize, part: usize) -> u32 {
    if units.clone().sum::<usize>() <= single {
        return 1;
    }
    let (mut parts, mut used) = (1u32, 0usize);
    for size in units {
        if used + size > part {
            parts += 1;
            used = 0;
        }
        used += size;
    }
    parts
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_text_uses_gsm7_with_160_then_153_per_part() {
        assert_eq!(count(""), 1);
        assert_eq!(count(&"a".repeat(160)), 1);
        assert_eq!(count(&"a".repeat(161)), 2);
        assert_eq!(count(&"a".repeat(306)), 2);
        assert_eq!(count(&"a".repeat(307)), 3);
        assert_eq!(encoding("Hello @ £5 à"), Encoding::Gsm7);
    }

    #[test]
    fn extension_characters_cost_two_septets_and_are_not_split() {
        assert_eq!(count(&"€".repeat(80)), 1);
        assert_eq!(count(&format!("{}€", "a".repeat(159))), 2);
        // 152 septets then a 2-septet char: it moves whole to the second part.
        let body = format!("{}{}{}", "a".repeat(152), "[", "a".repeat(10));
        assert_eq!(count(&body), 2);
    }

    #[test]
    fn one_unicode_character_switches_the_body_to_ucs2() {
        assert_eq!(encoding("Smart “quotes”"), Encoding::Ucs2);
        assert_eq!(count(&"é".repeat(70)), 1, "é is GSM-7");
        assert_eq!(count(&"ł".repeat(70)), 1);
        assert_eq!(count(&"ł".repeat(71)), 2);
        assert_eq!(count(&"ł".repeat(134)), 2);
        assert_eq!(count(&"ł".repeat(135)), 3);
    }

    #[test]
    fn emoji_count_as_two_units_and_stay_whole() {
        assert_eq!(count(&"👍".repeat(35)), 1);
        assert_eq!(count(&"👍".repeat(36)), 2);
        // 66 units then an emoji: it does not fit the first part's last unit.
        let body = format!("{}👍", "ł".repeat(66));
        assert_eq!(count(&body), 1, "68 units fit a lone 70-unit segment");
        let body = format!("{}👍{}", "ł".repeat(66), "ł".repeat(3));
        assert_eq!(count(&body), 2);
    }

    proptest! {
        #[test]
        fn segments_never_undercount_the_units(body in "\\PC{0,400}") {
            let parts = count(&body) as usize;
            let units: usize = match encoding(&body) {
                Encoding::Gsm7 => body.chars().map(|c| septets(c).unwrap_or(1)).sum(),
                Encoding::Ucs2 => body.encode_utf16().count(),
            };
            let per_part = if encoding(&body) == Encoding::Gsm7 { 153 } else { 67 };
            prop_assert!(parts >= 1);
            prop_assert!(parts == 1 || parts * per_part >= units);
            prop_assert!(parts <= 1 + units / (per_part - 1));
        }
    }
}
