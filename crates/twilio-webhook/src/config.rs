//! [`WebhookConfig`]: what one webhook route checks, built once per route — the builder only;
//! the checks themselves run in [`flow`](crate::flow), top to bottom.
//!
//! The keys (a [`LiveKeys`] slot, replaceable while running), how to rebuild the public URL,
//! the body limit (default [`DEFAULT_BODY_LIMIT`]), the allowed methods (default `POST`),
//! optional [`BasicAuth`] and the [replay guard](crate::replay) (on by default).
//! [`WebhookConfig::verify`] runs every check at once, without the replay guard:
//!
//! ```
//! use twilio_webhook::{Key, PublicUrl, Validator, WebhookConfig, WebhookRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = WebhookConfig::new(
//!     Validator::from_token("auth-token-123")?,
//!     PublicUrl::base("https://example.com")?,
//! );
//! let body = "From=%2B15551234567&Body=Hello+there";
//! let signature = Key::auth_token("t", "auth-token-123")?.sign(
//!     "https://example.com/sms",
//!     [("From", "+15551234567"), ("Body", "Hello there")],
//! );
//! let headers = [
//!     ("content-type", "application/x-www-form-urlencoded"),
//!     ("x-twilio-signature", signature.as_str()),
//! ];
//! let request = WebhookRequest::new("POST", "/sms", &headers);
//! let webhook = config.verify(&request, body.as_bytes().to_vec().into())?;
//! assert_eq!(webhook.get("Body"), Some("Hello there"));
//!
//! // The same request replayed as a GET is refused before any MAC is computed.
//! let get = WebhookRequest::new("GET", "/sms", &headers);
//! assert_eq!(config.verify(&get, Default::default()).unwrap_err().status(), 405);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use crate::basic_auth::BasicAuth;
use crate::live_keys::LiveKeys;
use crate::replay::{MemoryReplayGuard, ReplayGuard};
use crate::url::{PublicUrl, Scheme};
use crate::validator::Validator;

/// The default body limit: 64 KiB, ample for any form webhook (an SMS body is at most 1600
/// characters). Raise it for Event Streams, whose JSON arrays can be larger. Servers in front
/// of a webhook route use this constant for their own limit, so it is spelled once.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Everything one webhook route checks; build once, share (it is cheap to clone; clones share
/// the [`LiveKeys`] slot and the replay guard).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub(crate) keys: LiveKeys,
    pub(crate) public_url: PublicUrl,
    pub(crate) body_limit: usize,
    pub(crate) methods: Arc<[String]>,
    pub(crate) allow: Arc<str>,
    /// Whether a method other than `POST` is allowed: its empty-bodied requests verify the
    /// query alone, which is also what an empty `POST` would sign.
    pub(crate) query_methods: bool,
    pub(crate) basic_auth: Option<BasicAuth>,
    pub(crate) replay: Option<Arc<dyn ReplayGuard>>,
    pub(crate) scheme: Scheme,
}

impl WebhookConfig {
    /// A route verified by `validator` at the URL `public_url` rebuilds: `POST` only, 64 KiB
    /// bodies, no basic auth, replays suppressed by a fresh [`MemoryReplayGuard`].
    pub fn new(validator: Validator, public_url: PublicUrl) -> Self {
        WebhookConfig {
            keys: LiveKeys::new(validator),
            public_url,
            body_limit: DEFAULT_BODY_LIMIT,
            methods: Arc::from([String::from("POST")]),
            allow: Arc::from("POST"),
            query_methods: false,
            basic_auth: None,
            replay: Some(Arc::new(MemoryReplayGuard::default())),
            scheme: Scheme::Http,
        }
    }

    /// The largest body accepted, in bytes; larger ones get 413 before any MAC.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The methods the route accepts (case-sensitive, e.g. `["POST", "GET"]`); others get
    /// 405. Twilio's signature does not cover the method, so pin it.
    ///
    /// On a route that takes `GET` and `POST`, a `POST` without parameters is refused (403):
    /// it signs exactly what a `GET` of the same URL signs, so a `GET` Twilio signed could
    /// otherwise reach the handler as a `POST` that sees none of the query's parameters.
    #[must_use]
    pub fn methods<S: Into<String>>(mut self, methods: impl IntoIterator<Item = S>) -> Self {
        self.methods = methods.into_iter().map(Into::into).collect();
        self.allow = self.methods.join(", ").into();
        self.query_methods = self.methods.iter().any(|m| m != "POST");
        self
    }

    /// Requires HTTP basic auth (checked before the signature).
    #[must_use]
    pub fn basic_auth(mut self, auth: BasicAuth) -> Self {
        self.basic_auth = Some(auth);
        self
    }

    /// Suppresses replays with `guard` (e.g. a store shared by several servers).
    #[must_use]
    pub fn replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self
    }

    /// Lets identical signed requests through. Only for routes where Twilio legitimately
    /// repeats a request byte for byte: `<Gather>`, `<Record>` and `<Dial>` action URLs can
    /// receive the same parameters again when a caller goes round a menu loop. Deduplicate
    /// such routes on domain keys instead, and consider signing your own `exp=` into their
    /// URLs.
    #[must_use]
    pub fn without_replay_guard(mut self) -> Self {
        self.replay = None;
        self
    }

    /// The scheme of the listener (default `http`), used when the public URL comes from the
    /// `Host` header and no trusted proxy names one.
    #[must_use]
    pub fn listener_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// The validator in force now (see [`live_keys`](WebhookConfig::live_keys)).
    pub fn validator(&self) -> Arc<Validator> {
        self.keys.current()
    }

    /// The handle that replaces this route's keys while it runs: every clone of this config,
    /// and every layer or middleware built from one, sees a [`LiveKeys::replace`] at once.
    pub fn live_keys(&self) -> LiveKeys {
        self.keys.clone()
    }

    /// The replay guard, if the route has one.
    pub fn replay(&self) -> Option<&Arc<dyn ReplayGuard>> {
        self.replay.as_ref()
    }
}
