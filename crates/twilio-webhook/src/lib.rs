#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod basic_auth;
pub mod keys;
pub mod rejection;
pub mod replay;
pub mod request;
pub mod signature;
pub mod url;
pub mod validator;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;

pub use basic_auth::{BasicAuth, CredentialsError};
pub use keys::{Key, KeyError, KeySet, KeyStore, Secret};
pub use rejection::Rejection;
pub use replay::{MemoryReplayGuard, ReplayGuard};
pub use request::{TwilioRequest, VerifiedWebhook, WebhookConfig, WebhookRequest};
pub use signature::{Algorithm, SortOrder};
pub use url::{PublicUrl, Scheme, TrustedProxies};
pub use validator::{SignedRequest, ValidationError, Validator, Verified};
