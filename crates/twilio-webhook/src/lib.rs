#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod keys;
pub mod payload;
pub mod signature;
pub mod twiml;
pub mod url;
pub mod validator;

pub use keys::{Key, KeyError, KeySet, KeyStore, Secret};
pub use signature::{Algorithm, SortOrder};
pub use validator::{SignedRequest, ValidationError, Validator, Verified};
