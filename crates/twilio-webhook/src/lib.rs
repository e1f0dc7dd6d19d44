#![doc = include_str!("../README.md")]
//!
//! ## Layout
//!
//! - [`signature`]: the canonical string, HMAC-SHA1/SHA-256, base64, `bodySHA256`.
//! - [`keys`]: redacted secrets, pre-keyed MAC states, key sets (rotation) and key stores
//!   (one account, per-`AccountSid`, shared keys); the token file format (`keys::file`).
//! - [`url`]: the public URL Twilio signed (configured base, or trusted proxies' headers)
//!   and the forms of it that are tried; query helpers.
//! - [`validator`]: [`Validator`], pure: strings and bytes in, a [`Verified`] or a
//!   [`ValidationError`] out.
//! - [`request`]: validation of a whole request (method, target, headers, body) with no
//!   framework types: body limit, form vs JSON vs GET, basic auth, replay guard.
//! - [`rejection`]: every reason a request is turned away, mapped to its HTTP status in one
//!   place. [`basic_auth`] and [`replay`] hold those two defences.
//! - `tower` / `actix` (features): the adapters — a tower `Layer` plus an axum extractor, and
//!   an actix-web middleware plus extractor.
//! - [`twiml`]: the reply — messaging and voice TwiML, byte-identical to twilio-node's.
//! - [`payload`]: typed webhook payloads read from the verified pairs.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`) `doc_cfg` labels every feature-gated item from its
// `#[cfg]` by itself; an explicit `doc(cfg)` on a module would replace what its items add
// (the axum extractor inside `tower` would read "tower" instead of "tower and axum").
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod basic_auth;
pub mod keys;
pub mod payload;
pub mod rejection;
pub mod replay;
pub mod request;
pub mod signature;
pub mod twiml;
pub mod url;
pub mod validator;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "actix")]
pub mod actix;

pub use basic_auth::{BasicAuth, CredentialsError};
pub use keys::{Key, KeyError, KeySet, KeyStore, Secret};
pub use rejection::Rejection;
pub use replay::{MemoryReplayGuard, ReplayGuard};
pub use request::{TwilioRequest, VerifiedWebhook, WebhookConfig, WebhookRequest};
pub use signature::{Algorithm, SortOrder};
pub use url::{PublicUrl, Scheme, TrustedProxies};
pub use validator::{SignedRequest, ValidationError, Validator, Verified};
