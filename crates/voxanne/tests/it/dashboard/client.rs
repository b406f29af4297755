//! A signed-in dashboard session over plain HTTP, for requests a browser would not make.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::Clinic;
use crate::api::app::TestApp;

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The value of the first hidden field `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.text.find(&marker)? + marker.len();
        let end = self.text[start..].find('"')?;
        Some(self.text[start..start + end].to_owned())
    }
}

/// The `name=value` of a `Set-Cookie` for `name`, if the answer sets it.
pub fn cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

pub struct Client {
    pub base: String,
    http: reqwest::Client,
    /// The `Cookie` header to send.
    pub cookies: String,
}

impl Client {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: String::new(),
        }
    }

    async fn page(&self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, &self.cookies)
        };
        let response = request.send().await.unwrap();
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.page(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// A form post as our own page sends it (`Sec-Fetch-Site: same-origin`), fields as given.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[("sec-fetch-site", "same-origin")])
            .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.page(request).await
    }

    /// Posts the sign-in form as `clinic`'s admin with the form's `token` and `extra` fields.
    pub async fn post_sign_in(&self, clinic: &Clinic, token: &str, extra: &[(&str, &str)]) -> Page {
        let mut fields = vec![
            ("email", clinic.email.as_str()),
            ("password", clinic.password.as_str()),
            ("form_token", token),
        ];
        fields.extend_from_slice(extra);
        self.post("/dashboard/sign-in", &fields).await
    }

    /// Signs in as `clinic`'s admin; returns the session's CSRF token.
    pub async fn sign_in(&mut self, clinic: &Clinic) -> String {
        let form = self.get("/dashboard/sign-in").await;
        self.cookies = cookie(&form.headers, "voxanne_sign_in").unwrap();
        let token = form.hidden("form_token").unwrap();
        let done = self.post_sign_in(clinic, &token, &[]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        self.cookies = cookie(&done.headers, "voxanne_session").unwrap();
        self.get("/dashboard/team").await.hidden("csrf").unwrap()
    }
}
