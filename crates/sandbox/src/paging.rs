//! Twilio's 2010 paging: `PageSize` (default 50, at most 1000), `Page`, `PageToken`, and the
//! envelope fields `uri`, `first_page_uri`, `next_page_uri`, `previous_page_uri`, `page`,
//! `page_size`, `start`, `end`.
//!
//! A page token is `PA` + the SID of the last item of the previous page (as in Twilio's own
//! example) or `PB` + the SID of the first item of the next page (going back). SIDs carry their
//! sequence number, so a token still finds its place after that item was deleted.

use url::form_urlencoded;

use crate::errors::TwilioError;
use crate::ids;

pub(crate) const DEFAULT_PAGE_SIZE: usize = 50;
pub(crate) const MAX_PAGE_SIZE: usize = 1000;

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// Items after the one with this sequence number, in list order.
    After(u64),
    /// Items just before the one with this sequence number, in list order.
    Before(u64),
}

/// The paging part of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub size: usize,
    pub page: usize,
    pub token: Option<Token>,
    /// The token as sent, echoed in the envelope's `uri`.
    pub raw_token: Option<String>,
}

impl PageRequest {
    /// Reads `PageSize`, `Page` and `PageToken` from the query; a `PageSize` above 1000 is
    /// clamped to 1000.
    pub fn parse(query: &[(String, String)]) -> Result<PageRequest, TwilioError> {
        let mut request = PageRequest {
            size: DEFAULT_PAGE_SIZE,
            page: 0,
            token: None,
            raw_token: None,
        };
        for (name, value) in query {
            match name.as_str() {
                "PageSize" => {
                    let size: usize = value.parse().map_err(|_| {
                        TwilioError::invalid_parameter(format!("Invalid PageSize: {value}"))
                    })?;
                    if size == 0 {
                        return Err(TwilioError::invalid_parameter(
                            "PageSize must be at least 1",
                        ));
                    }
                    request.size = size.min(MAX_PAGE_SIZE);
                }
                "Page" => {
                    request.page = value.parse().map_err(|_| {
                        TwilioError::invalid_parameter(format!("Invalid Page: {value}"))
                    })?;
                }
                "PageToken" => {
                    request.token = Some(parse_token(value)?);
                    request.raw_token = Some(value.clone());
                }
                _ => {}
            }
        }
        Ok(request)
    }
}

fn parse_token(value: &str) -> Result<Token, TwilioError> {
    let invalid = || TwilioError::invalid_parameter(format!("Invalid PageToken: {value}"));
    let (direction, sid) = value.split_at_checked(2).ok_or_else(invalid)?;
    let seq = ids::seq_of(sid).ok_or_else(invalid)?;
    match direction {
        "PA" => Ok(Token::After(seq)),
        "PB" => Ok(Token::Before(seq)),
        _ => Err(invalid()),
    }
}

/// The slice of a list one request sees, plus what the envelope needs.
#[derive(Debug)]
pub(crate) struct Window<'a, T> {
    pub items: &'a [T],
    pub has_next: bool,
    pub has_previous: bool,
}

/// Cuts the page out of `items`, which are in list order with `seq` strictly monotonic
/// (`descending` for newest-first lists).
pub(crate) fn window<'a, T>(
    items: &'a [T],
    seq: impl Fn(&T) -> u64,
    descending: bool,
    request: &PageRequest,
) -> Window<'a, T> {
    let comes_before = |item: &T, mark: u64| {
        if descending {
            seq(item) > mark
        } else {
            seq(item) < mark
        }
    };
    let start = match request.token {
        None => request.page.saturating_mul(request.size).min(items.len()),
        Some(Token::After(mark)) => {
            items.partition_point(|item| comes_before(item, mark) || seq(item) == mark)
        }
        Some(Token::Before(mark)) => items
            .partition_point(|item| comes_before(item, mark))
            .saturating_sub(request.size),
    };
    let end = match request.token {
        Some(Token::Before(mark)) => items.partition_point(|item| comes_before(item, mark)),
        _ => start.saturating_add(request.size).min(items.len()),
    };
    Window {
        items: &items[start..end],
        has_next: end < items.len(),
        has_previous: start > 0,
    }
}

/// The URI fields of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Links {
    pub uri: String,
    pub first_page_uri: String,
    pub next_page_uri: Option<String>,
    pub previous_page_uri: Option<String>,
    pub page: usize,
    pub page_size: usize,
    pub start: usize,
    pub end: usize,
}

/// Builds the envelope URIs for `path` with the `filters` (in the order given), as Twilio does:
/// filters first, then `PageSize`, `Page`, `PageToken`.
pub(crate) fn links(
    path: &str,
    filters: &[(&str, String)],
    request: &PageRequest,
    count: usize,
    next_token: Option<String>,
    previous_token: Option<String>,
) -> Links {
    let build = |page: usize, token: Option<&str>| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in filters {
            query.append_pair(name, value);
        }
        query.append_pair("PageSize", &request.size.to_string());
        query.append_pair("Page", &page.to_string());
        if let Some(token) = token {
            query.append_pair("PageToken", token);
        }
        format!("{path}?{}", query.finish())
    };
    let start = request.page.saturating_mul(request.size);
    Links {
        uri: build(request.page, request.raw_token.as_deref()),
        first_page_uri: build(0, None),
        next_page_uri: next_token.map(|token| build(request.page + 1, Some(&token))),
        previous_page_uri: previous_token
            .filter(|_| request.page > 0)
            .map(|token| build(request.page - 1, Some(&token))),
        page: request.page,
        page_size: request.size,
        start,
        end: start + count.saturating_sub(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> PageRequest {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        PageRequest::parse(&pairs).unwrap()
    }

    #[test]
    fn page_size_defaults_to_50_and_is_clamped_to_1000() {
        assert_eq!(request("").size, 50);
        assert_eq!(request("PageSize=5000").size, 1000);
        let pairs = vec![("PageSize".to_string(), "x".to_string())];
        assert_eq!(PageRequest::parse(&pairs).unwrap_err().code, 20001);
    }

    #[test]
    fn tokens_walk_a_descending_list_forward_and_back() {
        let items: Vec<u64> = (1..=7).rev().collect();
        let sid = |seq: u64| ids::sid_with_seq("SM", seq);
        let first = window(&items, |s| *s, true, &request("PageSize=3"));
        assert_eq!(first.items, &[7, 6, 5]);
        assert!(first.has_next && !first.has_previous);
        let second = window(
            &items,
            |s| *s,
            true,
            &request(&format!("PageSize=3&Page=1&PageToken=PA{}", sid(5))),
        );
        assert_eq!(second.items, &[4, 3, 2]);
        let third = window(
            &items,
            |s| *s,
            true,
            &request(&format!("PageSize=3&Page=2&PageToken=PA{}", sid(2))),
        );
        assert_eq!(third.items, &[1]);
        assert!(!third.has_next);
        let back = window(
            &items,
            |s| *s,
            true,
            &request(&format!("PageSize=3&Page=1&PageToken=PB{}", sid(1))),
        );
        assert_eq!(back.items, &[4, 3, 2]);
    }

    #[test]
    fn envelope_uris_keep_filters_and_encode_them() {
        let links = links(
            "/2010-04-01/Accounts/ACx/Messages.json",
            &[
                ("To", "+123".to_string()),
                ("DateSent>", "2008-01-02".to_string()),
            ],
            &request("PageSize=2"),
            2,
            Some("PAtoken".into()),
            None,
        );
        assert_eq!(
            links.first_page_uri,
            "/2010-04-01/Accounts/ACx/Messages.json?To=%2B123&DateSent%3E=2008-01-02&PageSize=2&Page=0"
        );
        assert_eq!(
            links.next_page_uri.as_deref(),
            Some(
                "/2010-04-01/Accounts/ACx/Messages.json?To=%2B123&DateSent%3E=2008-01-02&PageSize=2&Page=1&PageToken=PAtoken"
            )
        );
        assert_eq!(
            (links.start, links.end, links.previous_page_uri),
            (0, 1, None)
        );
    }
}
