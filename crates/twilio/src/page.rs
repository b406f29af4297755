//! Twilio's 2010 paging envelope (`page`, `page_size`, `next_page_uri`, …) around a list whose
//! key depends on the resource (`messages`, `incoming_phone_numbers`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;

/// A resource that comes in pages, and the JSON key of its list.
pub trait Listed: DeserializeOwned {
    const ITEMS_KEY: &'static str;
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub page_size: u64,
    pub start: Option<u64>,
    pub end: Option<u64>,
    pub uri: Option<String>,
    pub first_page_uri: Option<String>,
    /// Path of the next page (with its `PageToken`), relative to the REST origin; `None` on the last.
    pub next_page_uri: Option<String>,
    pub previous_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    page: u64,
    #[serde(default)]
    page_size: u64,
    start: Option<u64>,
    end: Option<u64>,
    uri: Option<String>,
    first_page_uri: Option<String>,
    next_page_uri: Option<String>,
    previous_page_uri: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl<T: Listed> Page<T> {
    /// Decodes an envelope, taking the items from `T::ITEMS_KEY`.
    pub(crate) fn decode(operation: &'static str, body: &[u8]) -> Result<Self, Error> {
        let decode = |source| Error::Decode { operation, source };
        let mut envelope: Envelope = serde_json::from_slice(body).map_err(decode)?;
        let items = envelope
            .rest
            .remove(T::ITEMS_KEY)
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        let items: Vec<T> = serde_json::from_value(items).map_err(decode)?;
        Ok(Page {
            items,
            page: envelope.page,
            page_size: envelope.page_size,
            start: envelope.start,
            end: envelope.end,
            uri: envelope.uri,
            first_page_uri: envelope.first_page_uri,
            next_page_uri: envelope.next_page_uri.filter(|u| !u.is_empty()),
            previous_page_uri: envelope.previous_page_uri,
        })
    }
}

impl Client {
    /// Fetches the page after `page` by following its `next_page_uri`; `Ok(None)` after the last.
    pub async fn next_page<T: Listed>(&self, page: &Page<T>) -> Result<Option<Page<T>>, Error> {
        let Some(next) = page.next_page_uri.as_deref() else {
            return Ok(None);
        };
        let url = self.api_path_url(next)?;
        let body = self.send("next page", self.get(&url)).await?;
        Page::decode("next page", &body).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        n: u32,
    }
    impl Listed for Item {
        const ITEMS_KEY: &'static str = "things";
    }

    #[test]
    fn items_come_from_the_resource_key_and_paging_fields_are_kept() {
        let body = br#"{"end":1,"first_page_uri":"/a?Page=0","next_page_uri":"/a?Page=1&PageToken=PAx","page":0,
            "page_size":2,"previous_page_uri":null,"start":0,"uri":"/a","things":[{"n":1},{"n":2}]}"#;
        let page = Page::<Item>::decode("t", body).unwrap();
        assert_eq!(page.items, vec![Item { n: 1 }, Item { n: 2 }]);
        assert_eq!(
            page.next_page_uri.as_deref(),
            Some("/a?Page=1&PageToken=PAx")
        );
        assert_eq!((page.page, page.page_size, page.end), (0, 2, Some(1)));
    }

    #[test]
    fn a_page_with_bad_items_is_a_decode_error() {
        let body = br#"{"page":0,"page_size":2,"things":[{"n":"one"}]}"#;
        assert!(matches!(
            Page::<Item>::decode("t", body),
            Err(Error::Decode { .. })
        ));
    }
}
