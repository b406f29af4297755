//! The filters of List Messages: `To`, `From`, `DateSent`, `DateSent<`, `DateSent>`.

use crate::dates::DateBound;
use crate::errors::TwilioError;
use crate::messages::{Message, Status};

/// What a list request keeps.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ListFilter {
    to: Option<String>,
    from: Option<String>,
    sent_on: Option<(String, DateBound)>,
    sent_before: Option<(String, DateBound)>,
    sent_after: Option<(String, DateBound)>,
}

impl ListFilter {
    pub fn parse(query: &[(String, String)]) -> Result<ListFilter, TwilioError> {
        let mut filter = ListFilter::default();
        for (name, value) in query {
            let bound = || {
                DateBound::parse(value)
                    .map(|bound| (value.clone(), bound))
                    .ok_or_else(|| {
                        TwilioError::invalid_parameter(format!(
                            "Invalid {name}: {value}; use YYYY-MM-DD"
                        ))
                    })
            };
            match name.as_str() {
                "To" => filter.to = Some(value.clone()),
                "From" => filter.from = Some(value.clone()),
                "DateSent" => filter.sent_on = Some(bound()?),
                "DateSent<" => filter.sent_before = Some(bound()?),
                "DateSent>" => filter.sent_after = Some(bound()?),
                _ => {}
            }
        }
        Ok(filter)
    }

    pub fn matches(&self, message: &Message) -> bool {
        let from_shown = message.status != Status::Accepted;
        let sent = message.date_created;
        self.to.as_ref().is_none_or(|to| *to == message.to)
            && self
                .from
                .as_ref()
                .is_none_or(|from| from_shown && *from == message.sender)
            && self
                .sent_on
                .as_ref()
                .is_none_or(|(_, b)| b.matches_on(sent))
            && self
                .sent_before
                .as_ref()
                .is_none_or(|(_, b)| b.on_or_before(sent))
            && self
                .sent_after
                .as_ref()
                .is_none_or(|(_, b)| b.on_or_after(sent))
    }

    /// The filters as they appear in the envelope URIs, in Twilio's order.
    pub fn as_query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(to) = &self.to {
            query.push(("To", to.clone()));
        }
        if let Some(from) = &self.from {
            query.push(("From", from.clone()));
        }
        for (name, bound) in [
            ("DateSent", &self.sent_on),
            ("DateSent<", &self.sent_before),
            ("DateSent>", &self.sent_after),
        ] {
            if let Some((raw, _)) = bound {
                query.push((name, raw.clone()));
            }
        }
        query
    }
}
