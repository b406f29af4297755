//! The store story: every use case, on whichever backend `VOXANNE_TEST_DATABASE_URL` names.

mod api_keys;
mod credentials;
mod isolation;
mod organizations;
mod primary;
mod quota;
mod users;

pub use crate::support::store::{google_credential, twilio_credential};
