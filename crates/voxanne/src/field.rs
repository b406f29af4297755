//! A mistake in one input field, in domain words: the rule every use case reports bad input with.

/// A problem with one field of what a person or program gave: which field, what is wrong, and
/// the fix. Each front door shows it its own way (the JSON API as a 422 naming the field, the
/// dashboard next to the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Stable machine-readable code, e.g. `invalid_phone_number`.
    pub code: &'static str,
    /// The field's path in the request, e.g. `from_number` or `alert_recipients[2]`.
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

impl FieldError {
    pub fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every phone field reads the same way: the field as named to the parser, the parser's sentence
/// (which ends with the fix), and a reminder of the form.
impl From<crate::phone::PhoneError> for FieldError {
    fn from(err: crate::phone::PhoneError) -> Self {
        FieldError::new("invalid_phone_number", err.field().to_owned(), format!("{err}."))
            .with_hint("Write the number in E.164 form: +, the country code, then the number, e.g. +14155552671.")
    }
}

/// A page size as given: 1 to 100, 50 when not given.
pub fn page_limit(limit: Option<u32>) -> Result<u32, FieldError> {
    let limit = limit.unwrap_or(50);
    if (1..=100).contains(&limit) {
        Ok(limit)
    } else {
        Err(FieldError::new(
            "invalid_limit",
            "limit",
            format!("limit must be between 1 and 100, got {limit}"),
        ))
    }
}

/// Refuses C0 control characters (and DEL) other than newline (`\n`, or `\r\n` as a browser's
/// text area sends it) and tab: a NUL cannot be stored by PostgreSQL and none of them belongs in
/// a text a person reads.
pub fn plain_text(field: &str, value: &str) -> Result<(), FieldError> {
    let mut chars = value.chars().peekable();
    let mut control = None;
    while let Some(c) = chars.next() {
        let newline = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
        if c.is_ascii_control() && c != '\t' && !newline {
            control = Some(c);
            break;
        }
    }
    match control {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            "control_character",
            field,
            format!(
                "`{field}` contains the control character U+{:04X}, which cannot be sent",
                u32::from(c)
            ),
        )
        .with_hint("Remove control characters; line breaks (\\n) and tabs are fine.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_c0_controls_are_refused_naming_the_field() {
        for bad in [
            "a\u{0}b",
            "\u{0}",
            "bell\u{7}",
            "esc\u{1b}[1m",
            "del\u{7f}",
            "cr\r",
        ] {
            let err = plain_text("body", bad).unwrap_err();
            assert_eq!(
                (err.code, err.field.as_str()),
                ("control_character", "body"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn newlines_tabs_and_any_script_pass() {
        for good in [
            "line one\nline two",
            "crlf\r\nline",
            "a\tb",
            "王小明 ☎ café",
            "",
        ] {
            assert!(plain_text("body", good).is_ok(), "{good:?}");
        }
    }
}
