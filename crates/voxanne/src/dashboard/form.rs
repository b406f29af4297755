//! Form fields as pages show them: label, typed value (never a secret's), hint, and the error
//! next to the field in plain words with the fix.

use crate::field::FieldError;

pub struct FieldView {
    /// The input's name and id.
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `password` or `tel`.
    pub kind: &'static str,
    pub value: String,
    pub hint: &'static str,
    pub error: Option<String>,
}

impl FieldView {
    pub fn new(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        hint: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            hint,
            error: None,
        }
    }

    /// Keeps what was typed, except in a secret field.
    pub fn typed(mut self, value: &str) -> Self {
        if self.kind != "password" {
            self.value = value.to_owned();
        }
        self
    }
}

/// A use case's field error in the dashboard's words: its sentence and its fix.
pub fn words(err: &FieldError) -> String {
    match &err.hint {
        Some(hint) => format!("{} {hint}", err.message),
        None => err.message.clone(),
    }
}

/// Puts `err` next to its field; `Some(words)` when no field of the form is named (shown atop).
pub fn place(fields: &mut [FieldView], err: &FieldError) -> Option<String> {
    // `alert_recipients[2]` belongs to the `alert_recipients` field.
    let name = err.field.split('[').next().unwrap_or_default();
    match fields.iter_mut().find(|field| field.name == name) {
        Some(field) => {
            field.error = Some(words(err));
            None
        }
        None => Some(words(err)),
    }
}

/// An empty input is "not given".
pub fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
