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
