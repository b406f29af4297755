//! Every HTTP answer a proof received, status, headers and body, kept to be searched for secrets:
//! the JSON API's answers and the dashboard's pages apart. A secret an answer shows by design (a
//! new API key, a webhook signing secret, a one-time password, the session cookie it sets) is
//! blanked in that one answer only, so it counts as a leak anywhere else.

use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

/// One answer, as the proof reads it.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not).
    pub json: Value,
}

impl Reply {
    /// The value of the page's first hidden field `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.text.find(&marker)? + marker.len();
        let end = self.text[start..].find('"')?;
        Some(self.text[start..start + end].to_owned())
    }

    /// The value of the cookie `name` this answer sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }
}

/// A client that keeps every answer; a dashboard session's cookies ride along.
pub struct Captured {
    pub base: String,
    http: reqwest::Client,
    /// The `Cookie` header sent with dashboard requests.
    pub cookies: String,
    /// Every API answer, then every dashboard page, as text.
    pub api: Vec<u8>,
    pub pages: Vec<u8>,
    pub api_answers: usize,
    pub page_answers: usize,
}

impl Captured {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: String::new(),
            api: Vec::new(),
            pages: Vec::new(),
            api_answers: 0,
            page_answers: 0,
        }
    }

    /// An API call with `key`; `shown` names what the answer shows by design.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
        shown: impl Fn(&Reply) -> Vec<String>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.exchange(request, false, shown).await
    }

    /// A dashboard page, with the session's cookies.
    pub async fn page(&mut self, path: &str) -> Reply {
        let request = self.http.get(format!("{}{path}", self.base));
        self.exchange(request, true, |_| Vec::new()).await
    }

    /// A dashboard form post, as our own page sends it.
    pub async fn form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        shown: impl Fn(&Reply) -> Vec<String>,
    ) -> Reply {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("sec-fetch-site", "same-origin")
            .form(fields);
        self.exchange(request, true, shown).await
    }

    /// Any other request to the service (e.g. a browser following Google's redirect back).
    pub async fn other(&mut self, request: RequestBuilder, page: bool) -> Reply {
        self.exchange(request, page, |_| Vec::new()).await
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    async fn exchange(
        &mut self,
        request: RequestBuilder,
        page: bool,
        shown: impl Fn(&Reply) -> Vec<String>,
    ) -> Reply {
        let request = if page && !self.cookies.is_empty() {
            request.header(COOKIE, &self.cookies)
        } else {
            request
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let reply = Reply {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
            text,
        };
        let mut kept = format!("HTTP {status}\n");
        for (name, value) in &reply.headers {
            kept.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        kept.push('\n');
        kept.push_str(&reply.text);
        kept.push('\n');
        for secret in shown(&reply) {
            if !secret.is_empty() {
                kept = kept.replace(&secret, "[shown once]");
            }
        }
        if page {
            self.pages.extend_from_slice(kept.as_bytes());
            self.page_answers += 1;
        } else {
            self.api.extend_from_slice(kept.as_bytes());
            self.api_answers += 1;
        }
        reply
    }
}
