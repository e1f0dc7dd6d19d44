#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod account;
mod client;
mod credentials;
mod error;
mod lookup;
mod messaging;
mod numbers;
pub mod setup;
#[cfg(feature = "test-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-server")))]
pub mod test_server;

pub use account::Account;
pub use client::{API_BASE_ENV, Client, Hosts};
pub use credentials::{Credentials, CredentialsError};
pub use error::{ApiError, TwilioError};
pub use lookup::{LineType, LineTypeIntelligence};
pub use messaging::{MessagingService, ServiceNumber};
pub use numbers::{IncomingNumber, NumberUpdate, Webhook};
