//! The hot-lead alert: the SMS the clinic's staff get when the AI receptionist catches a caller
//! who wants to book.
//!
//! It must fit ONE GSM-7 segment (160 septets): one Unicode letter would switch the whole text to
//! UCS-2 (70 units) and triple the cost, and a split alert arrives in pieces. So every field is
//! transliterated to GSM-7 look-alikes (`ú`→`u`, `“`→`"`), letters of other scripts to their
//! ASCII transliteration (`王小明`→`Wang Xiao Ming`, `Nguyễn`→`Nguyen`), emoji and other symbols
//! are dropped, and fields are shortened on character boundaries with `...` until the text fits.

use crate::phone::PhoneNumber;
use crate::sms;

/// What the receptionist learned about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    pub name: String,
    pub phone: PhoneNumber,
    /// Why they called, in a few words ("new patient cleaning").
    pub reason: String,
    pub preferred_time: Option<String>,
    /// Our reference for the call, so staff can open the transcript.
    pub call_id: Option<String>,
}

/// The most one alert may take: one GSM-7 segment.
pub const MAX_SEPTETS: usize = 160;

/// Renders the alert; always GSM-7 (basic set only) and at most [`MAX_SEPTETS`] long.
pub fn render(lead: &Lead, clinic_name: &str) -> String {
    render_booked(lead, clinic_name, None)
}

/// Renders the alert of a lead already booked: `booked` (e.g. `Tue 3:00 PM`, at most 24
/// characters) takes the place of the preferred time, which no longer matters, and is never
/// shortened; the alert still fits one GSM-7 segment.
pub fn render_booked(lead: &Lead, clinic_name: &str, booked: Option<&str>) -> String {
    let booked = booked
        .map(clean)
        .filter(|b| !b.is_empty())
        .map(|b| shorten(&b, 24));
    let mut fields = Fields {
        booked,
        clinic: or_placeholder(clean(clinic_name), "your clinic"),
        name: or_placeholder(clean(&lead.name), "Caller"),
        reason: or_placeholder(clean(&lead.reason), "not given"),
        time: lead
            .preferred_time
            .as_deref()
            .map(clean)
            .filter(|t| !t.is_empty()),
        call_id: lead.call_id.as_deref().map(clean).filter(|t| !t.is_empty()),
    };
    // Caps keep one long field from crowding the others out.
    fields.clinic = shorten(&fields.clinic, 40);
    fields.name = shorten(&fields.name, 40);
    fields.time = fields.time.map(|t| shorten(&t, 30));
    fields.call_id = fields.call_id.map(|c| shorten(&c, 24));
    if fields.booked.is_some() {
        fields.time = None;
    }
    // Then shrink in order of least harm until it fits; the phone number is never touched.
    let steps: [fn(&mut Fields, usize); 7] = [
        |f, over| f.reason = shrink(&f.reason, over, 24),
        |f, _| f.call_id = None,
        |f, over| f.clinic = shrink(&f.clinic, over, 12),
        |f, over| f.time = f.time.as_deref().map(|t| shrink(t, over, 12)),
        |f, over| f.name = shrink(&f.name, over, 12),
        |f, _| f.time = None,
        |f, over| f.reason = shrink(&f.reason, over, 8),
    ];
    let mut text = fields.text(&lead.phone);
    for step in steps {
        let length = text.chars().count();
        if length <= MAX_SEPTETS {
            break;
        }
        step(&mut fields, length - MAX_SEPTETS);
        text = fields.text(&lead.phone);
    }
    text
}

struct Fields {
    booked: Option<String>,
    clinic: String,
    name: String,
    reason: String,
    time: Option<String>,
    call_id: Option<String>,
}

impl Fields {
    fn text(&self, phone: &PhoneNumber) -> String {
        let mut text = format!(
            "Hot lead for {}: {}, {}\nWants: {}",
            self.clinic, self.name, phone, self.reason
        );
        if let Some(booked) = &self.booked {
            text.push_str("\nBooked ");
            text.push_str(booked);
        } else if let Some(time) = &self.time {
            text.push_str("\nBest time: ");
            text.push_str(time);
        }
        text.push_str("\nPlease call back ASAP.");
        if let Some(id) = &self.call_id {
            text.push_str(" Ref ");
            text.push_str(id);
        }
        text
    }
}

fn or_placeholder(text: String, placeholder: &str) -> String {
    if text.is_empty() {
        placeholder.to_owned()
    } else {
        text
    }
}

/// Removes `over` characters from `text` (via [`shorten`]) but keeps at least `floor`.
fn shrink(text: &str, over: usize, floor: usize) -> String {
    let length = text.chars().count();
    shorten(text, length.saturating_sub(over).max(floor))
}

/// Cuts `text` to at most `max` characters, ending in `...` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

/// One line of GSM-7 basic characters: look-alikes for common letters and punctuation,
/// whitespace collapsed, everything else dropped.
fn clean(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if c.is_whitespace() || c.is_control() {
            // Newlines would break the alert's layout; any run of blanks becomes one space.
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if sms::is_gsm7_basic(c) {
            out.push(c);
        } else if let Some(replacement) = look_alike(c) {
            out.push_str(replacement);
        } else if c.is_alphanumeric() {
            // A letter of another script (王, م, ễ): its ASCII transliteration keeps a name
            // readable ("Wang Xiao Ming") where dropping it would leave staff with no name.
            for t in deunicode::deunicode_char(c).unwrap_or("").chars() {
                if sms::is_gsm7_basic(t) {
                    out.push(t);
                } else if let Some(replacement) = look_alike(t) {
                    out.push_str(replacement);
                }
            }
        }
    }
    // Dropped characters can leave double spaces behind.
    out.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A GSM-7 basic replacement for characters outside the basic set, `None` to drop.
fn look_alike(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' | 'ǎ' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'ĕ' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' | 'ģ' | 'ĝ' => "g",
        'Ğ' | 'Ģ' | 'Ĝ' => "G",
        'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'ĩ' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' | 'Ĩ' => "I",
        'ķ' => "k",
        'Ķ' => "K",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'Ł' | 'Ľ' | 'Ĺ' | 'Ļ' => "L",
        'ń' | 'ň' | 'ņ' => "n",
        'Ń' | 'Ň' | 'Ņ' => "N",
        'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ř' | 'ŕ' => "r",
        'Ř' | 'Ŕ' => "R",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' | 'ũ' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ū' | 'Ů' | 'Ű' | 'Ų' | 'Ũ' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ž' | 'ż' => "z",
        'Ź' | 'Ž' | 'Ż' => "Z",
        'þ' => "th",
        'Þ' => "Th",
        '‘' | '’' | '‚' | '′' | '`' | '´' => "'",
        '“' | '”' | '„' | '″' | '«' | '»' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        '…' => "...",
        '[' | '{' => "(",
        ']' | '}' => ")",
        '|' | '\\' => "/",
        '~' => "-",
        '€' => "EUR",
        '•' | '·' => "-",
        _ => return None,
    })
}

#[cfg(test)]
#[path = "hot_lead_tests.rs"]
mod tests;
