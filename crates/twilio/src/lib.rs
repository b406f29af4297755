//! A typed client for the part of Twilio's REST API Voxanne uses.
//!
//! It knows nothing of Voxanne's database or domain: give it [`Credentials`] and a [`Config`],
//! call an operation, and get back spec-shaped types or an [`Error`] that says whether to retry
//! ([`Error::retry_class`]) and whether the request may have taken effect ([`Error::is_ambiguous`]).
//! [`signature`] computes and validates `X-Twilio-Signature` for the webhooks Twilio sends.
#![forbid(unsafe_code)]

mod account;
mod client;
mod error;
mod incoming_phone_number;
mod message;
mod messaging_service;
mod page;
mod rfc2822;
mod sid;
pub mod signature;

pub use account::{Account, AccountStatus, AccountType};
pub use client::{Client, Config, Credentials};
pub use error::{ApiError, Error, RetryClass};
pub use incoming_phone_number::{Capabilities, IncomingPhoneNumber, PhoneNumberQuery};
pub use message::{Direction, Message, MessageQuery, MessageStatus, NewMessage, Sender};
pub use messaging_service::MessagingService;
pub use page::{Listed, Page};
/// Re-exported so callers can build [`Credentials`] without naming the crate.
pub use secrecy::{ExposeSecret, SecretString};
pub use sid::{AccountSid, ApiKeySid, MessageSid, MessagingServiceSid, PhoneNumberSid, SidError};
