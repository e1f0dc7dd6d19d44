#![doc = include_str!("../README.md")]
//!
//! ## Layout
//!
//! - [`signature`]: the canonical string, HMAC-SHA1/SHA-256, base64, `bodySHA256`.
//! - [`keys`]: redacted secrets, pre-keyed MAC states, key sets (rotation) and key stores
//!   (one account, per-`AccountSid`, shared keys).
//! - [`url`]: the URL forms tried for a received URL; query helpers.
//! - [`validator`]: [`Validator`], pure: strings and bytes in, a [`Verified`] or a
//!   [`ValidationError`] out.
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
