#![doc = include_str!("../README.md")]
//!
//! ## Layout
//!
//! - [`signature`]: the canonical string, HMAC-SHA1/SHA-256, base64, `bodySHA256`.
//! - [`keys`]: redacted secrets, pre-keyed MAC states, key sets (rotation) and key stores
//!   (one account, per-`AccountSid`, shared keys); the token file format and `KeySource`,
//!   the one rule for a token file vs the environment (`keys::file`);
//!   [`live_keys`]: the slot that swaps them while the server runs.
//! - [`url`]: the public URL Twilio signed (configured base, or trusted proxies' headers)
//!   and the forms of it that are tried; query helpers.
//! - [`validator`]: [`Validator`], pure: strings and bytes in, a [`Verified`] or a
//!   [`ValidationError`] out.
//! - [`request`]: one request as received (method, target, headers, peer), no framework
//!   types. [`form`]: the strict form decoder.
//! - [`config`]: [`WebhookConfig`], the builder of a route's checks (keys, public URL, body
//!   limit, methods, basic auth, replay guard); it runs none of them. [`explain`]: why a
//!   signature failed — the URL variant it matches, the body, or the token — for the 403's
//!   log event and `twilio-webhook verify`.
//! - [`flow`]: the checks, top to bottom in one file — the one webhook flow every adapter
//!   drives: admit the head (method, basic auth, `Content-Length`), read the body within the
//!   body limit, verify (body mode: form vs JSON vs GET; public URL; signature), the replay
//!   guard's verdict, record the handler's response.
//! - [`webhook`]: what the handler gets: [`VerifiedWebhook`] and [`TwilioRequest<T>`].
//! - [`rejection`]: every reason a request is turned away, mapped to its HTTP status in one
//!   place. [`basic_auth`] and [`replay`] hold those two defences.
//! - `tower`, `axum`, `actix`, `lambda`, `rocket` (features): the adapters — a tower
//!   `Layer`, the axum extractors, an actix-web middleware plus extractors, the signed URL of
//!   an AWS Lambda event, and a Rocket data guard. They only translate bodies and responses;
//!   the flow does the rest.
//! - [`twiml`]: the reply — messaging and voice TwiML, byte-identical to twilio-node's.
//! - [`payload`]: typed webhook payloads read from the verified pairs.
//!
//! Import paths: a type re-exported here at the crate root is imported from the root
//! (`twilio_webhook::WebhookConfig`); everything else from its module.
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`) `doc_cfg` labels every feature-gated item from its
// `#[cfg]` by itself; an explicit `doc(cfg)` on a module would replace what its items add
// (the axum extractor inside `tower` would read "tower" instead of "tower and axum").
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod basic_auth;
pub mod config;
pub mod explain;
pub mod flow;
pub mod form;
pub mod keys;
pub mod live_keys;
pub mod payload;
pub mod rejection;
pub mod replay;
pub mod request;
pub mod signature;
pub mod twiml;
pub mod url;
mod validation_error;
pub mod validator;
pub mod webhook;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "actix")]
pub mod actix;

#[cfg(feature = "lambda")]
pub mod lambda;

#[cfg(feature = "rocket")]
pub mod rocket;

pub use basic_auth::{BasicAuth, CredentialsError};
pub use config::{DEFAULT_BODY_LIMIT, WebhookConfig};
pub use keys::{Key, KeyError, KeySet, KeyStore, Secret};
pub use live_keys::LiveKeys;
pub use rejection::Rejection;
pub use replay::{MemoryReplayGuard, ReplayGuard};
pub use request::WebhookRequest;
pub use signature::{Algorithm, SortOrder};
pub use url::{PublicUrl, Scheme, TrustedProxies};
pub use validation_error::ValidationError;
pub use validator::{SignedRequest, Validator, Verified};
pub use webhook::{TwilioRequest, VerifiedWebhook};

/// The `tracing` target of every event this crate emits.
pub const LOG_TARGET: &str = "twilio_webhook";
