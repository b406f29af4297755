//! Which 2010 operation a path names, and in which format it answers.

use axum::http::Method;

/// JSON when the path ends in `.json`; XML (Twilio's 2010 default) without an extension or with
/// `.xml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

/// A resource under `/2010-04-01/Accounts/{AccountSid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    Account,
    IncomingPhoneNumbers,
    Messages,
    Message(String),
}

/// A parsed path: the account named in it, the resource and the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub account_sid: String,
    pub resource: Resource,
    pub format: Format,
}

/// The operations the sandbox implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    FetchAccount,
    ListIncomingPhoneNumbers,
    CreateMessage,
    ListMessages,
    FetchMessage,
    DeleteMessage,
}

impl Route {
    /// Parses `/2010-04-01/Accounts/...`; `None` for any other shape (answered 404).
    pub fn parse(path: &str) -> Option<Route> {
        let rest = path.strip_prefix("/2010-04-01/Accounts/")?;
        let segments: Vec<&str> = rest.split('/').collect();
        let last = segments.last()?;
        let (stem, format) = split_format(last)?;
        let (account_sid, resource) = match segments.as_slice() {
            [_] => (stem, Resource::Account),
            [account, _] => {
                let resource = match stem {
                    "Messages" => Resource::Messages,
                    "IncomingPhoneNumbers" => Resource::IncomingPhoneNumbers,
                    _ => return None,
                };
                (*account, resource)
            }
            [account, "Messages", _] => (*account, Resource::Message(stem.to_owned())),
            _ => return None,
        };
        if account_sid.is_empty() {
            return None;
        }
        Some(Route {
            account_sid: account_sid.to_owned(),
            resource,
            format,
        })
    }

    /// The operation for `method` on this resource, or `None` (405).
    pub fn operation(&self, method: &Method) -> Option<Operation> {
        match (&self.resource, method.as_str()) {
            (Resource::Account, "GET") => Some(Operation::FetchAccount),
            (Resource::IncomingPhoneNumbers, "GET") => Some(Operation::ListIncomingPhoneNumbers),
            (Resource::Messages, "POST") => Some(Operation::CreateMessage),
            (Resource::Messages, "GET") => Some(Operation::ListMessages),
            (Resource::Message(_), "GET") => Some(Operation::FetchMessage),
            (Resource::Message(_), "DELETE") => Some(Operation::DeleteMessage),
            _ => None,
        }
    }
}

fn split_format(segment: &str) -> Option<(&str, Format)> {
    if let Some(stem) = segment.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else if let Some(stem) = segment.strip_suffix(".xml") {
        Some((stem, Format::Xml))
    } else if segment.contains('.') {
        None
    } else {
        Some((segment, Format::Xml))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_resources_and_formats() {
        let route = Route::parse("/2010-04-01/Accounts/AC1/Messages/SM2.json").unwrap();
        assert_eq!(route.resource, Resource::Message("SM2".into()));
        assert_eq!(
            (route.account_sid.as_str(), route.format),
            ("AC1", Format::Json)
        );
        assert_eq!(
            Route::parse("/2010-04-01/Accounts/AC1.json")
                .unwrap()
                .resource,
            Resource::Account
        );
        assert_eq!(
            Route::parse("/2010-04-01/Accounts/AC1/Messages")
                .unwrap()
                .format,
            Format::Xml
        );
        assert_eq!(Route::parse("/2010-04-01/Accounts/AC1/Calls.json"), None);
        assert_eq!(Route::parse("/2010-04-01/Accounts/AC1/Messages.csv"), None);
        let list = Route::parse("/2010-04-01/Accounts/AC1/Messages.json").unwrap();
        assert_eq!(
            list.operation(&Method::POST),
            Some(Operation::CreateMessage)
        );
        assert_eq!(list.operation(&Method::PUT), None);
    }
}
