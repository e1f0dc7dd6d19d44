//! [`WebhookConfig`]: everything one webhook route checks, and the checks themselves as
//! plain functions of the method, the raw request target, the headers, the peer and the body.
//!
//! Built once per route: the keys (a [`LiveKeys`] slot, replaceable while running), how to
//! rebuild the public URL, the body limit (default [`DEFAULT_BODY_LIMIT`]), the allowed
//! methods (default `POST`), optional [`BasicAuth`] and the [replay guard](crate::replay) (on
//! by default). The [flow](crate::flow) runs the checks in order; [`WebhookConfig::verify`]
//! runs them all at once, without the replay guard:
//!
//! - a body when the URL carries `bodySHA256` → raw-body (JSON) mode: the hash must match;
//! - `application/x-www-form-urlencoded` → form pairs, order and repeats kept, `+` is space;
//!   a malformed `%` escape, non-UTF-8 or a pair without a name → 400;
//! - no body on a method other than `POST` (a `GET`) → the query's pairs, signed as part of
//!   the URL;
//! - anything else → 415.
//!
//! The handler receives exactly the pairs that were verified, from that one parse.
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

use bytes::Bytes;

use crate::basic_auth::BasicAuth;
use crate::explain::{Facts, Notes, explain};
use crate::form::{Form, is_form};
use crate::live_keys::LiveKeys;
use crate::rejection::Rejection;
use crate::replay::{MemoryReplayGuard, ReplayGuard};
use crate::request::WebhookRequest;
use crate::url::{Origin, PublicUrl, Scheme, query_of, query_param};
use crate::validation_error::ValidationError;
use crate::validator::{SignedRequest, Validator, Verified};
use crate::webhook::{BodyKind, VerifiedWebhook};

/// The default body limit: 64 KiB, ample for any form webhook (an SMS body is at most 1600
/// characters). Raise it for Event Streams, whose JSON arrays can be larger. Servers in front
/// of a webhook route use this constant for their own limit, so it is spelled once.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Everything one webhook route checks; build once, share (it is cheap to clone; clones share
/// the [`LiveKeys`] slot and the replay guard).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    keys: LiveKeys,
    public_url: PublicUrl,
    body_limit: usize,
    methods: Arc<[String]>,
    allow: Arc<str>,
    /// Whether a method other than `POST` is allowed: its empty-bodied requests verify the
    /// query alone, which is also what an empty `POST` would sign.
    query_methods: bool,
    basic_auth: Option<BasicAuth>,
    replay: Option<Arc<dyn ReplayGuard>>,
    scheme: Scheme,
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

    /// The body limit in bytes.
    pub fn max_body(&self) -> usize {
        self.body_limit
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

    /// Every check at once — head, body, signature — without the replay guard. Logs the
    /// outcome. Servers use the [flow](crate::flow) instead, which also reads the body within
    /// the limit and asks the replay guard.
    pub fn verify(
        &self,
        request: &WebhookRequest<'_>,
        body: Bytes,
    ) -> Result<VerifiedWebhook, Rejection> {
        self.admit(*request)?.check(body)
    }

    /// The checks that need no body: method (405), basic auth (401), `Content-Length` over
    /// the limit (413).
    pub(crate) fn check_head(&self, request: &WebhookRequest<'_>) -> Result<(), Rejection> {
        if !self.methods.iter().any(|m| m == request.method()) {
            return Err(Rejection::MethodNotAllowed {
                allow: Arc::clone(&self.allow),
            });
        }
        if let Some(auth) = &self.basic_auth {
            auth.check(request.single("authorization")?)?;
        }
        let length = request
            .single("content-length")?
            .map(|v| {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or(Rejection::MalformedHeader)
            })
            .transpose()?;
        if length.is_some_and(|n| n > self.body_limit as u64) {
            return Err(Rejection::PayloadTooLarge);
        }
        Ok(())
    }

    /// Everything after the head: size of the body read, signature header, public URL, body
    /// mode and parse, signature. On a 403, `notes` receives, for the log, the `AccountSid`
    /// the request names and why the signature failed.
    pub(crate) fn check_body(
        &self,
        request: &WebhookRequest<'_>,
        body: Bytes,
        notes: &mut Notes,
    ) -> Result<VerifiedWebhook, Rejection> {
        if body.len() > self.body_limit {
            return Err(Rejection::PayloadTooLarge);
        }
        let signature = request
            .single("x-twilio-signature")
            .map_err(|_| Rejection::RepeatedSignatureHeader)?
            .ok_or(ValidationError::MissingSignature)?;
        let signature =
            std::str::from_utf8(signature).map_err(|_| ValidationError::MalformedSignature)?;
        let settings = request
            .single("x-twilio-webhooks-signature-settings")
            .map_err(|_| Rejection::RepeatedSignatureHeader)?
            .map(std::str::from_utf8)
            .transpose()
            .map_err(|_| ValidationError::MalformedSignatureSettings)?;
        let url = self.signed_url(request)?;
        let (kind, form) = self.body_mode(request, &url, &body)?;
        let verified = self
            .validate(&url, kind, &form, &body, signature, settings)
            .inspect_err(|&error| {
                // Only on failure: the accepted path never builds an explanation, nor copies
                // the AccountSid for the log.
                notes.account = form
                    .get("AccountSid")
                    .map(str::to_owned)
                    .or_else(|| query_param(&url, "AccountSid"));
                let validator = self.keys.load();
                // The same check against another URL: how the explanation finds the URL the
                // signature was made for (it never accepts the request).
                let check = |other: &str| {
                    self.validate(other, kind, &form, &body, signature, settings)
                        .is_ok()
                };
                let facts = Facts {
                    request,
                    url: &url,
                    has_base: self.public_url.has_base(),
                    listener: request.listener_scheme().unwrap_or(self.scheme),
                    basic_auth: self.basic_auth.is_some(),
                    validator: &validator,
                    kind,
                    pairs: form.pairs(),
                    body: &body,
                    signature,
                    settings,
                    check: &check,
                };
                notes.explanation = explain(&facts, error);
            })?;
        Ok(VerifiedWebhook::new(verified, form, body, kind))
    }

    /// The URL `request`'s signature is checked against: the configured base, or what the
    /// trusted proxy forwarded, or `Host` and the listener's scheme, joined with the target.
    /// (The proxy writes its `X-Forwarded-*` from this, so the upstream hears what verified.)
    pub fn signed_url(&self, request: &WebhookRequest<'_>) -> Result<String, Rejection> {
        Ok(self
            .public_url
            .resolve(request.target(), &self.origin(request)?)?)
    }

    /// The header values URL reconstruction may use; none are read under a configured base.
    fn origin<'r>(&self, request: &WebhookRequest<'r>) -> Result<Origin<'r>, Rejection> {
        let scheme = request.listener_scheme().unwrap_or(self.scheme);
        let origin = Origin::new(scheme).peer(request.peer_ip());
        if self.public_url.has_base() {
            return Ok(origin);
        }
        let host = request.single_ascii("host")?.or(request.authority_value());
        Ok(origin
            .host(host)
            .forwarded(request.last("forwarded")?)
            .x_forwarded_proto(request.last("x-forwarded-proto")?)
            .x_forwarded_host(request.last("x-forwarded-host")?))
    }

    /// Decides the body mode and parses what is signed.
    fn body_mode(
        &self,
        request: &WebhookRequest<'_>,
        url: &str,
        body: &[u8],
    ) -> Result<(BodyKind, Form), Rejection> {
        if query_param(url, "bodySHA256").is_some() {
            return Ok((BodyKind::Raw, Form::default()));
        }
        if body.is_empty() && request.method() != "POST" {
            let query = query_of(request.target()).unwrap_or_default();
            return Ok((BodyKind::Query, Form::parse(query.as_bytes())?));
        }
        if !request.single_ascii("content-type")?.is_some_and(is_form) {
            return Err(Rejection::UnsupportedMediaType);
        }
        let form = Form::parse(body)?;
        if form.is_empty() && self.query_methods {
            return Err(Rejection::AmbiguousMethod);
        }
        // Twilio signs names and values with nothing between them, so a pair without a name
        // adds its value alone, where the URL ends: it moves bytes between the query and the
        // body at will. No sender names a parameter "".
        if form.iter().any(|(name, _)| name.is_empty()) {
            return Err(Rejection::MalformedForm);
        }
        Ok((BodyKind::Form, form))
    }

    /// Validates against the URL, and with basic auth also against the URL carrying the
    /// credentials (Twilio's libraries sign it that way; older documentation says Twilio
    /// drops them).
    fn validate(
        &self,
        url: &str,
        kind: BodyKind,
        form: &Form,
        body: &[u8],
        signature: &str,
        settings: Option<&str>,
    ) -> Result<Verified, ValidationError> {
        let with_credentials = self
            .basic_auth
            .as_ref()
            .and_then(|a| a.with_credentials(url));
        let validator = self.keys.load();
        let mut result = Err(ValidationError::SignatureMismatch);
        for candidate in with_credentials.as_deref().into_iter().chain([url]) {
            // A GET's pairs are in the URL already: Twilio appends nothing to it.
            let request = match kind {
                BodyKind::Raw => SignedRequest::body(candidate, body),
                BodyKind::Query => SignedRequest::params(candidate, []),
                BodyKind::Form => SignedRequest::params(candidate, form.iter()),
            };
            result = validator.validate(&request.signature(Some(signature)).settings(settings));
            if result != Err(ValidationError::SignatureMismatch) {
                break;
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
