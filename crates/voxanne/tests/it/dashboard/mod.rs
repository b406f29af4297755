//! The clinic dashboard, end to end: the real service and sandbox on loopback ports, driven by
//! headless Chromium (`browser`) and, for what a browser will not send (forged posts, other
//! clinics' ids), by plain HTTP (`client`).

mod browser;
pub mod client;
mod flow;
mod pages;
mod quota_settings;
mod security;
mod tenancy;
mod webhooks;

use secrecy::SecretString;
use voxanne::store::Role;

use crate::api::app::{TestApp, TestOrg};

/// A clinic with a signed-up admin.
pub struct Clinic {
    pub org: TestOrg,
    pub email: String,
    pub password: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A new organization (with an API key) and its owner `email`.
pub async fn clinic(app: &TestApp, email: &str) -> Clinic {
    let org = app.org().await;
    app.store
        .create_user(&org.id, email, SecretString::from(PASSWORD), Role::Owner)
        .await
        .unwrap();
    Clinic {
        org,
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    }
}
