//! SMS segment counting: what one message costs.
//!
//! A body that fits the GSM-7 alphabet travels as 7-bit septets: 160 in a single SMS, 153 per part
//! once it is split (the rest is the concatenation header); extension characters (`€`, `[`, `{`, …)
//! take an escape plus a septet, and are never split across parts. Any other character switches
//! the whole message to UCS-2: 70 UTF-16 units alone, 67 per part, surrogate pairs kept together.

use serde::Serialize;

/// How the body is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The cost of one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segments {
    pub encoding: Encoding,
    /// Number of SMS parts (at least 1, even for an empty body).
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
}

/// The GSM 03.38 basic character set (one septet each); `\u{1b}` (escape) excluded.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (escape + one septet each).
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets `c` costs in GSM-7, or `None` when it forces UCS-2.
pub fn gsm7_cost(c: char) -> Option<u32> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// True when `c` is in the basic GSM-7 set (costs exactly one septet).
pub fn is_gsm7_basic(c: char) -> bool {
    BASIC.contains(c)
}

/// True when the whole text can be sent as GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_cost(c).is_some())
}

/// Counts the segments `text` takes.
pub fn count(text: &str) -> Segments {
    let gsm: Option<Vec<u32>> = text.chars().map(gsm7_cost).collect();
    match gsm {
        Some(costs) => pack(Encoding::Gsm7, &costs, 160, 153),
        None => {
            let costs: Vec<u32> = text.chars().map(|c| c.len_utf16() as u32).collect();
            pack(Encoding::Ucs2, &costs, 70, 67)
        }
    }
}

/// Fills parts greedily without splitting a character's units across two parts.
fn pack(encoding: Encoding, costs: &[u32], single: u32, per_part: u32) -> Segments {
    let units: u32 = costs.iter().sum();
    if units <= single {
        return Segments {
            encoding,
            segments: 1,
            units,
        };
    }
    let mut segments = 1;
    let mut used = 0;
    for &cost in costs {
        if used + cost > per_part {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    Segments {
        encoding,
        segments,
        units,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_alphabet_tables_have_the_standard_sizes() {
        // 128 positions minus the escape; 9 printable extension characters plus form feed.
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(EXTENSION.chars().count(), 10);
    }

    #[test]
    fn gsm7_boundaries_are_160_then_153_per_part() {
        assert_eq!(
            count(&"a".repeat(160)),
            Segments {
                encoding: Encoding::Gsm7,
                segments: 1,
                units: 160
            }
        );
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        assert_eq!(count("").segments, 1);
    }

    #[test]
    fn extension_characters_cost_two_septets_and_are_not_split() {
        assert_eq!(
            count(&"€".repeat(80)),
            Segments {
                encoding: Encoding::Gsm7,
                segments: 1,
                units: 160
            }
        );
        assert_eq!(count(&format!("{}€", "a".repeat(159))).segments, 2);
        // 152 septets then an escape pair: the pair moves whole to part two, which then
        // overflows by one septet; split naively the same 306 septets would fit in two parts.
        let body = format!("{}[{}", "a".repeat(152), "a".repeat(152));
        let expected = Segments {
            encoding: Encoding::Gsm7,
            segments: 3,
            units: 306,
        };
        assert_eq!(count(&body), expected);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
    }

    #[test]
    fn one_non_gsm_character_switches_to_ucs2_with_70_then_67() {
        assert_eq!(
            count(&format!("{}ú", "a".repeat(69))),
            Segments {
                encoding: Encoding::Ucs2,
                segments: 1,
                units: 70
            }
        );
        assert_eq!(count(&format!("{}ú", "a".repeat(70))).segments, 2);
        assert_eq!(count(&"ú".repeat(134)).segments, 2);
        assert_eq!(count(&"ú".repeat(135)).segments, 3);
    }

    #[test]
    fn emoji_count_two_utf16_units_and_stay_in_one_part() {
        assert_eq!(
            count("Hello! 👍"),
            Segments {
                encoding: Encoding::Ucs2,
                segments: 1,
                units: 9
            }
        );
        // 66 units then a surrogate pair: the pair starts part two.
        let body = format!("{}👍{}", "a".repeat(66), "a".repeat(10));
        assert_eq!(
            count(&body),
            Segments {
                encoding: Encoding::Ucs2,
                segments: 2,
                units: 78
            }
        );
    }

    proptest! {
        #[test]
        fn segments_are_consistent_with_units(text in any::<String>()) {
            let s = count(&text);
            let (single, part) = match s.encoding { Encoding::Gsm7 => (160, 153), Encoding::Ucs2 => (70, 67) };
            if s.units <= single {
                prop_assert_eq!(s.segments, 1);
            } else {
                prop_assert!(s.segments >= s.units.div_ceil(part));
                prop_assert!(s.segments <= s.units.div_ceil(part - 1));
            }
            prop_assert_eq!(s.encoding == Encoding::Gsm7, is_gsm7(&text));
        }

        #[test]
        fn plain_ascii_letters_are_always_gsm7(text in "[a-zA-Z0-9 .,!?]{0,400}") {
            let s = count(&text);
            prop_assert_eq!(s.encoding, Encoding::Gsm7);
            prop_assert_eq!(s.units as usize, text.len());
        }
    }
}
