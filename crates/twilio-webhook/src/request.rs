//! Request-level validation: everything between the HTTP request and the handler, as plain
//! functions of the method, the raw request target, the headers, the peer and the body.
//!
//! A [`WebhookConfig`] is built once per route: the [`Validator`], how to rebuild the public
//! URL, the body limit (default 64 KiB), the allowed methods (default `POST`), optional
//! [`BasicAuth`] and the [replay guard](crate::replay) (on by default). Framework adapters and
//! hand-written services call [`WebhookConfig::precheck`] before reading the body (cheap
//! rejections: 405, 401, 413 by `Content-Length`), read at most
//! [`body_limit`](WebhookConfig::max_body) bytes (413 otherwise), then
//! [`WebhookConfig::verify`]:
//!
//! - a body when the URL carries `bodySHA256` → raw-body (JSON) mode: the hash must match;
//! - `application/x-www-form-urlencoded` → form pairs, order and repeats kept, `+` is space;
//!   a malformed `%` escape or non-UTF-8 → 400;
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

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::basic_auth::BasicAuth;
use crate::explain::{Facts, Notes, explain};
use crate::rejection::Rejection;
use crate::replay::{
    Begin, Fingerprint, MemoryReplayGuard, ReplayGuard, ReplayTicket, StoredResponse,
};
use crate::url::{Origin, PublicUrl, Scheme, query_of, query_param};
use crate::validator::{SignedRequest, ValidationError, Validator, Verified};

/// The `tracing` target of every event this crate emits.
pub const LOG_TARGET: &str = "twilio_webhook";

/// The default body limit: 64 KiB, ample for any form webhook (an SMS body is at most 1600
/// characters). Raise it for Event Streams, whose JSON arrays can be larger.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Read access to a request's headers, whatever the HTTP library.
pub trait HeaderSource {
    /// Every value of header `name` (given in lower case; match case-insensitively), in the
    /// order received.
    fn header_values(&self, name: &str) -> Vec<&[u8]>;
}

impl<A: AsRef<str>, B: AsRef<[u8]>, const N: usize> HeaderSource for [(A, B); N] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        pair_values(self, name)
    }
}

impl<A: AsRef<str>, B: AsRef<[u8]>> HeaderSource for Vec<(A, B)> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        pair_values(self, name)
    }
}

fn pair_values<'h, A: AsRef<str>, B: AsRef<[u8]>>(
    pairs: &'h [(A, B)],
    name: &str,
) -> Vec<&'h [u8]> {
    pairs
        .iter()
        .filter(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
        .collect()
}

/// One request as received: method, raw request target, headers, peer, listener scheme.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    method: &'a str,
    target: &'a str,
    headers: &'a dyn HeaderSource,
    peer: Option<IpAddr>,
    scheme: Option<Scheme>,
    authority: Option<&'a str>,
}

impl<'a> WebhookRequest<'a> {
    /// A request with `method` for `target`, the path and query exactly as received (never
    /// decoded or re-encoded).
    pub fn new(method: &'a str, target: &'a str, headers: &'a dyn HeaderSource) -> Self {
        WebhookRequest {
            method,
            target,
            headers,
            peer: None,
            scheme: None,
            authority: None,
        }
    }

    /// The connection's remote address (decides whether forwarded headers are believed).
    #[must_use]
    pub fn peer(mut self, peer: Option<SocketAddr>) -> Self {
        self.peer = peer.map(|p| p.ip());
        self
    }

    /// The listener's scheme, overriding [`WebhookConfig::listener_scheme`].
    #[must_use]
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// The HTTP/2 `:authority` (or an absolute URI's authority): used when there is no
    /// `Host` header.
    #[must_use]
    pub fn authority(mut self, authority: Option<&'a str>) -> Self {
        self.authority = authority;
        self
    }

    /// The path, without the query: safe to log.
    fn path(&self) -> &'a str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What was signed, and so what the handler gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// A form body: [`VerifiedWebhook::pairs`] are its pairs.
    Form,
    /// No body (a `GET`): the pairs are the query's, signed as part of the URL.
    Query,
    /// A raw body bound by `bodySHA256` (JSON): no pairs; read [`VerifiedWebhook::body`].
    Raw,
}

/// A request that passed every check: how it verified, the pairs exactly as verified (in
/// received order, repeats kept) and the raw body.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    verified: Verified,
    pairs: Vec<(String, String)>,
    body: Bytes,
    kind: BodyKind,
}

impl VerifiedWebhook {
    /// Which key, account and URL form verified the request.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The verified pairs in received order, repeats kept.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The raw body as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Form, query or raw body.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Whether the body is a raw (JSON) body bound by `bodySHA256`.
    pub fn is_json(&self) -> bool {
        self.kind == BodyKind::Raw
    }

    /// The replay key: identifies the signed string under the key that verified it.
    pub fn fingerprint(&self) -> Fingerprint {
        self.verified.fingerprint().into()
    }

    /// The verified pairs as a `T` (with `serde_html_form`'s rules: repeated names into
    /// sequences, numbers and booleans parsed from text).
    ///
    /// `serde_html_form` deserializes only from encoded text, so the pairs are re-encoded
    /// first; the encoding is lossless, so `T` sees exactly the verified pairs.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.pairs)
            .finish();
        serde_html_form::from_str(&encoded).map_err(|_| Rejection::Payload)
    }
}

/// A verified webhook with its pairs deserialized into `T`: the extractor `TwilioRequest<T>`
/// of the axum and actix adapters (one type, so handlers read the same under either).
///
/// Dereferences to `T`; the raw pairs and the rest stay available.
#[derive(Debug, Clone)]
pub struct TwilioRequest<T> {
    payload: T,
    webhook: VerifiedWebhook,
}

impl<T: DeserializeOwned> TwilioRequest<T> {
    /// Deserializes `webhook`'s pairs (see [`VerifiedWebhook::deserialize`]); pairs that do
    /// not fit `T` are a 400, logged.
    pub fn new(webhook: VerifiedWebhook) -> Result<Self, Rejection> {
        let payload = webhook.deserialize().inspect_err(|r| {
            tracing::info!(target: LOG_TARGET, outcome = "rejected", reason = %r, "Twilio webhook rejected");
        })?;
        Ok(TwilioRequest { payload, webhook })
    }
}

impl<T> TwilioRequest<T> {
    /// The deserialized payload.
    pub fn into_inner(self) -> T {
        self.payload
    }

    /// The verified pairs in received order, repeats kept.
    pub fn pairs(&self) -> &[(String, String)] {
        self.webhook.pairs()
    }

    /// Everything about the verified request.
    pub fn webhook(&self) -> &VerifiedWebhook {
        &self.webhook
    }
}

impl<T> std::ops::Deref for TwilioRequest<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.payload
    }
}

/// What [`WebhookConfig::begin_replay`] decided.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayState {
    /// The route has no replay guard: run the handler.
    Off,
    /// First sighting: run the handler, then [`finish`](ReplayTicket::finish) the ticket
    /// with its response.
    Fresh(ReplayTicket),
    /// A replay of a handled request: answer with this stored response, skip the handler.
    Replayed(StoredResponse),
}

/// Everything one webhook route checks; build once, share (it is cheap to clone).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    validator: Validator,
    public_url: PublicUrl,
    body_limit: usize,
    methods: Arc<[String]>,
    allow: Arc<str>,
    basic_auth: Option<BasicAuth>,
    replay: Option<Arc<dyn ReplayGuard>>,
    scheme: Scheme,
}

impl WebhookConfig {
    /// A route verified by `validator` at the URL `public_url` rebuilds: `POST` only, 64 KiB
    /// bodies, no basic auth, replays suppressed by a fresh [`MemoryReplayGuard`].
    pub fn new(validator: Validator, public_url: PublicUrl) -> Self {
        WebhookConfig {
            validator,
            public_url,
            body_limit: DEFAULT_BODY_LIMIT,
            methods: Arc::from([String::from("POST")]),
            allow: Arc::from("POST"),
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
    #[must_use]
    pub fn methods<S: Into<String>>(mut self, methods: impl IntoIterator<Item = S>) -> Self {
        self.methods = methods.into_iter().map(Into::into).collect();
        self.allow = self.methods.join(", ").into();
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

    /// The validator.
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The replay guard, if the route has one.
    pub fn replay(&self) -> Option<&Arc<dyn ReplayGuard>> {
        self.replay.as_ref()
    }

    /// The checks that need no body — method (405), basic auth (401), `Content-Length` over
    /// the limit (413) — so an adapter can refuse before reading. Logs a rejection.
    pub fn precheck(&self, request: &WebhookRequest<'_>) -> Result<(), Rejection> {
        self.check_head(request)
            .map_err(|r| self.reject(request, r))
    }

    /// Logs a rejection an adapter found itself (body over the limit while reading, body
    /// unreadable) and hands it back.
    pub fn reject(&self, request: &WebhookRequest<'_>, rejection: Rejection) -> Rejection {
        log_rejection(request, &rejection, &Notes::default());
        rejection
    }

    /// Every check, in order: method, basic auth, size, signature header, public URL, body
    /// mode and parse, signature. Logs the outcome.
    pub fn verify(
        &self,
        request: &WebhookRequest<'_>,
        body: Bytes,
    ) -> Result<VerifiedWebhook, Rejection> {
        self.logged(request, |notes| {
            self.check_head(request)?;
            self.check_body(request, body, notes)
        })
    }

    /// [`Self::verify`] for an adapter that has just passed the same request through
    /// [`Self::precheck`]: the head checks (and the basic-auth decode) are not run twice.
    pub(crate) fn verify_prechecked(
        &self,
        request: &WebhookRequest<'_>,
        body: Bytes,
    ) -> Result<VerifiedWebhook, Rejection> {
        self.logged(request, |notes| self.check_body(request, body, notes))
    }

    /// Runs `check` and logs its outcome (with the `AccountSid` it claimed and why the
    /// signature failed, if it did).
    fn logged(
        &self,
        request: &WebhookRequest<'_>,
        check: impl FnOnce(&mut Notes) -> Result<VerifiedWebhook, Rejection>,
    ) -> Result<VerifiedWebhook, Rejection> {
        let mut notes = Notes::default();
        match check(&mut notes) {
            Ok(webhook) => {
                log_accepted(request, &webhook);
                Ok(webhook)
            }
            Err(r) => {
                log_rejection(request, &r, &notes);
                Err(r)
            }
        }
    }

    /// Asks the replay guard about a verified request. A replay of a completed request gets
    /// its stored response; one still in flight gets 409; a failing store, 503.
    pub async fn begin_replay(&self, webhook: &VerifiedWebhook) -> Result<ReplayState, Rejection> {
        let Some(guard) = &self.replay else {
            return Ok(ReplayState::Off);
        };
        let fp = webhook.fingerprint();
        let verified = webhook.verified();
        let outcome = match guard.begin(&fp).await {
            Ok(Begin::Fresh) => {
                return Ok(ReplayState::Fresh(ReplayTicket::new(guard.clone(), fp)));
            }
            Ok(Begin::InFlight) => Err(Rejection::ReplayInFlight),
            Ok(Begin::Done(stored)) => Ok(ReplayState::Replayed(stored)),
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, outcome = "rejected", reason = %e, "replay store failed");
                Err(Rejection::ReplayUnavailable)
            }
        };
        tracing::info!(
            target: LOG_TARGET,
            outcome = if outcome.is_ok() { "replayed" } else { "in_flight" },
            account_sid = verified.account(),
            key = verified.key(),
            "Twilio webhook repeated: handler skipped"
        );
        outcome
    }

    fn check_head(&self, request: &WebhookRequest<'_>) -> Result<(), Rejection> {
        if !self.methods.iter().any(|m| m == request.method) {
            return Err(Rejection::MethodNotAllowed {
                allow: Arc::clone(&self.allow),
            });
        }
        if let Some(auth) = &self.basic_auth {
            auth.check(single(request.headers, "authorization")?)?;
        }
        let length = single(request.headers, "content-length")?
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
    /// mode and parse, signature.
    fn check_body(
        &self,
        request: &WebhookRequest<'_>,
        body: Bytes,
        notes: &mut Notes,
    ) -> Result<VerifiedWebhook, Rejection> {
        if body.len() > self.body_limit {
            return Err(Rejection::PayloadTooLarge);
        }
        let signature = single(request.headers, "x-twilio-signature")
            .map_err(|_| Rejection::RepeatedSignatureHeader)?
            .ok_or(ValidationError::MissingSignature)?;
        let signature =
            std::str::from_utf8(signature).map_err(|_| ValidationError::MalformedSignature)?;
        let settings = single(request.headers, "x-twilio-webhooks-signature-settings")
            .map_err(|_| Rejection::RepeatedSignatureHeader)?
            .map(std::str::from_utf8)
            .transpose()
            .map_err(|_| ValidationError::MalformedSignatureSettings)?;
        let url = self
            .public_url
            .resolve(request.target, &self.origin(request)?)?;
        let (kind, pairs) = payload(request, &url, &body)?;
        notes.account = pairs
            .iter()
            .find(|(n, _)| n == "AccountSid")
            .map(|(_, v)| v.clone())
            .or_else(|| query_param(&url, "AccountSid"));
        let verified = self
            .validate(&url, kind, &pairs, &body, signature, settings)
            .inspect_err(|&error| {
                // Only on failure: the accepted path never builds an explanation.
                let facts = Facts {
                    headers: request.headers,
                    url: &url,
                    has_base: self.public_url.has_base(),
                    listener: request.scheme.unwrap_or(self.scheme),
                    basic_auth: self.basic_auth.is_some(),
                    validator: &self.validator,
                    kind,
                    pairs: &pairs,
                    body: &body,
                    signature,
                    settings,
                };
                notes.explanation = explain(&facts, error);
            })?;
        Ok(VerifiedWebhook {
            verified,
            pairs,
            body,
            kind,
        })
    }

    /// The header values URL reconstruction may use; none are read under a configured base.
    fn origin<'r>(&self, request: &WebhookRequest<'r>) -> Result<Origin<'r>, Rejection> {
        let scheme = request.scheme.unwrap_or(self.scheme);
        let origin = Origin::new(scheme).peer(request.peer);
        if self.public_url.has_base() {
            return Ok(origin);
        }
        let host = single(request.headers, "host")?
            .map(ascii)
            .transpose()?
            .or(request.authority);
        Ok(origin
            .host(host)
            .forwarded(last(request.headers, "forwarded")?)
            .x_forwarded_proto(last(request.headers, "x-forwarded-proto")?)
            .x_forwarded_host(last(request.headers, "x-forwarded-host")?))
    }

    /// Validates against the URL, and with basic auth also against the URL carrying the
    /// credentials (Twilio's libraries sign it that way; older documentation says Twilio
    /// drops them).
    fn validate(
        &self,
        url: &str,
        kind: BodyKind,
        pairs: &[(String, String)],
        body: &[u8],
        signature: &str,
        settings: Option<&str>,
    ) -> Result<Verified, ValidationError> {
        let with_credentials = self
            .basic_auth
            .as_ref()
            .and_then(|a| a.with_credentials(url));
        let mut result = Err(ValidationError::SignatureMismatch);
        for candidate in with_credentials.as_deref().into_iter().chain([url]) {
            // A GET's pairs are in the URL already: Twilio appends nothing to it.
            let request = match kind {
                BodyKind::Raw => SignedRequest::body(candidate, body),
                BodyKind::Query => SignedRequest::params(candidate, []),
                BodyKind::Form => SignedRequest::params(
                    candidate,
                    pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                ),
            };
            result = self
                .validator
                .validate(&request.signature(Some(signature)).settings(settings));
            if result != Err(ValidationError::SignatureMismatch) {
                break;
            }
        }
        result
    }
}

/// Decides the body mode and parses what is signed.
fn payload(
    request: &WebhookRequest<'_>,
    url: &str,
    body: &[u8],
) -> Result<(BodyKind, Vec<(String, String)>), Rejection> {
    if query_param(url, "bodySHA256").is_some() {
        return Ok((BodyKind::Raw, Vec::new()));
    }
    if body.is_empty() && request.method != "POST" {
        let query = query_of(request.target).unwrap_or_default();
        return Ok((BodyKind::Query, parse_form(query.as_bytes())?));
    }
    let content_type = single(request.headers, "content-type")?
        .map(ascii)
        .transpose()?;
    if content_type.is_some_and(is_form) {
        return Ok((BodyKind::Form, parse_form(body)?));
    }
    Err(Rejection::UnsupportedMediaType)
}

fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Parses `application/x-www-form-urlencoded` strictly: order and repeats kept, `+` is a
/// space, every `%` must start a two-digit hex escape, and the result must be UTF-8.
///
/// ```
/// use twilio_webhook::request::parse_form;
/// let pairs = parse_form(b"Body=Hi+there%21&To=%2B1&To=&Empty").unwrap();
/// assert_eq!(pairs, [
///     ("Body".into(), "Hi there!".into()),
///     ("To".into(), "+1".into()),
///     ("To".into(), "".into()),
///     ("Empty".into(), "".into()),
/// ]);
/// assert_eq!(parse_form(b"a=%ZZ").unwrap_err().status(), 400);
/// assert_eq!(parse_form(b"a=%").unwrap_err().status(), 400);
/// assert_eq!(parse_form(b"a=%FF").unwrap_err().status(), 400);
/// ```
pub fn parse_form(input: &[u8]) -> Result<Vec<(String, String)>, Rejection> {
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Result<String, Rejection> {
    // Most names and many values need no decoding: copy them as they are.
    if !raw.iter().any(|b| matches!(b, b'%' | b'+')) {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| Rejection::MalformedForm);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(|h| hex_digit(*h));
                let lo = bytes.next().and_then(|l| hex_digit(*l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(Rejection::MalformedForm),
                }
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| Rejection::MalformedForm)
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The header's only value; 400 if it repeats.
fn single<'h>(headers: &'h dyn HeaderSource, name: &str) -> Result<Option<&'h [u8]>, Rejection> {
    match headers.header_values(name).as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Rejection::MalformedHeader),
    }
}

/// The header's last value (the one the nearest hop set), as text.
fn last<'h>(headers: &'h dyn HeaderSource, name: &str) -> Result<Option<&'h str>, Rejection> {
    headers
        .header_values(name)
        .last()
        .map(|v| ascii(v))
        .transpose()
}

fn ascii(value: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(value)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(Rejection::MalformedHeader)
}

fn log_accepted(request: &WebhookRequest<'_>, webhook: &VerifiedWebhook) {
    let v = webhook.verified();
    tracing::debug!(
        target: LOG_TARGET,
        outcome = "accepted",
        method = request.method,
        path = request.path(),
        account_sid = v.account(),
        key = v.key(),
        url_form = %v.url_form(),
        sort_order = ?v.sort_order(),
        "Twilio webhook verified"
    );
}

fn log_rejection(request: &WebhookRequest<'_>, rejection: &Rejection, notes: &Notes) {
    tracing::info!(
        target: LOG_TARGET,
        outcome = "rejected",
        status = rejection.status(),
        reason = %rejection,
        method = request.method,
        path = request.path(),
        account_sid = notes.account.as_deref(),
        explanation = notes.explanation.as_deref(),
        "Twilio webhook rejected"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;

    const TOKEN: &str = "test-token";

    fn config() -> WebhookConfig {
        WebhookConfig::new(
            Validator::from_token(TOKEN).unwrap(),
            PublicUrl::base("https://example.com").unwrap(),
        )
    }

    fn sign(url: &str, pairs: &[(&str, &str)]) -> String {
        Key::auth_token("x", TOKEN)
            .unwrap()
            .sign(url, pairs.iter().copied())
    }

    #[test]
    fn form_pairs_are_handed_on_in_order() {
        let sig = sign(
            "https://example.com/sms?x=1",
            &[("B", "2"), ("A", "1"), ("A", "0")],
        );
        let headers = [
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            ),
            ("X-Twilio-Signature", sig.as_str()),
        ];
        let req = WebhookRequest::new("POST", "/sms?x=1", &headers);
        let w = config()
            .verify(&req, Bytes::from_static(b"B=2&A=1&A=0"))
            .unwrap();
        assert_eq!(w.kind(), BodyKind::Form);
        let names: Vec<_> = w.pairs().iter().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(names, ["B=2", "A=1", "A=0"]);
    }

    #[test]
    fn get_verifies_the_query() {
        let sig = sign("https://example.com/voice?From=%2B1", &[]);
        let headers = [("x-twilio-signature", sig.as_str())];
        let req = WebhookRequest::new("GET", "/voice?From=%2B1", &headers);
        let w = config()
            .methods(["GET"])
            .verify(&req, Bytes::new())
            .unwrap();
        assert_eq!((w.kind(), w.get("From")), (BodyKind::Query, Some("+1")));
    }

    #[test]
    fn order_of_checks() {
        let c = config().body_limit(4);
        let sig = sign("https://example.com/sms", &[]);
        let too_big = [
            ("content-length", "5"),
            ("x-twilio-signature", sig.as_str()),
        ];
        let req = WebhookRequest::new("POST", "/sms", &too_big);
        assert_eq!(c.precheck(&req), Err(Rejection::PayloadTooLarge));
        let req = WebhookRequest::new("PUT", "/sms", &too_big);
        assert_eq!(c.precheck(&req).unwrap_err().status(), 405);
        let none: [(&str, &str); 0] = [];
        let req = WebhookRequest::new("POST", "/sms", &none);
        assert_eq!(
            c.verify(&req, Bytes::from_static(b"%ZZ")).err(),
            Some(Rejection::Signature(ValidationError::MissingSignature))
        );
        let two = [("x-twilio-signature", "a"), ("X-Twilio-Signature", "b")];
        let req = WebhookRequest::new("POST", "/sms", &two);
        assert_eq!(
            c.verify(&req, Bytes::new()).err(),
            Some(Rejection::RepeatedSignatureHeader)
        );
    }

    #[test]
    fn body_modes() {
        let c = config();
        let sig = sign("https://example.com/sms", &[]);
        let json = [
            ("content-type", "application/json"),
            ("x-twilio-signature", sig.as_str()),
        ];
        let req = WebhookRequest::new("POST", "/sms", &json);
        assert_eq!(
            c.verify(&req, Bytes::from_static(b"{}")).err(),
            Some(Rejection::UnsupportedMediaType)
        );
        let bare = [("x-twilio-signature", sig.as_str())];
        let req = WebhookRequest::new("POST", "/sms", &bare);
        assert_eq!(
            c.verify(&req, Bytes::new()).err(),
            Some(Rejection::UnsupportedMediaType)
        );
        let form = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", sig.as_str()),
        ];
        let req = WebhookRequest::new("POST", "/sms", &form);
        assert_eq!(
            c.verify(&req, Bytes::from_static(b"a=%E9")).err(),
            Some(Rejection::MalformedForm)
        );
    }

    #[test]
    fn deserialize_from_pairs() {
        #[derive(serde::Deserialize)]
        struct Sms {
            #[serde(rename = "Body")]
            body: String,
            #[serde(rename = "NumMedia")]
            num_media: u32,
        }
        let w = VerifiedWebhook {
            verified: fake_verified(),
            pairs: vec![
                ("Body".into(), "a&b=c+d%".into()),
                ("NumMedia".into(), "2".into()),
            ],
            body: Bytes::new(),
            kind: BodyKind::Form,
        };
        let sms: Sms = w.deserialize().unwrap();
        assert_eq!((sms.body.as_str(), sms.num_media), ("a&b=c+d%", 2));
        assert_eq!(w.deserialize::<(u8,)>().err(), Some(Rejection::Payload));
    }

    fn fake_verified() -> Verified {
        let sig = sign("https://example.com/", &[]);
        Validator::from_token(TOKEN)
            .unwrap()
            .validate_params("https://example.com/", [], Some(&sig))
            .unwrap()
    }
}
