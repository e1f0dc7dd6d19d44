//! The one webhook flow: every adapter (tower, actix, the proxy, a hand-written server)
//! drives a request through these steps, and only translates bodies and responses.
//!
//! 1. [`WebhookConfig::admit`] checks the head — method (405), basic auth (401),
//!    `Content-Length` over the [body limit](Flow::body_limit) (413) — and opens a [`Flow`].
//! 2. [`Flow::read_body`] reads the body within the body limit (413 beyond it). A rejected
//!    request's body is [drained](drain) before the answer, so the client reads its 401, 405
//!    or 413 instead of a reset connection.
//! 3. [`Flow::verify`] checks the body and the signature, then asks the replay guard: a
//!    [`Verdict`] —
//!    [`Handle`](Verdict::Handle) the [`VerifiedWebhook`] with its [`Ticket`], or answer a
//!    [`Replay`](Verdict::Replay) with the stored response; a request still in flight is a
//!    409.
//! 4. [`Ticket::arm`] just before calling the handler, then [`Ticket::record`] its response
//!    (or [`Ticket::fail`] when there is none).
//!
//! [`WebhookConfig::receive`] runs steps 1–3 over a body stream. The file reads in that
//! order: each step, then the checks it runs. Step 3's, in order: the body's size, the
//! signature headers, the public URL, the body mode and its parse, the signature itself:
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
//! Why arm: once the handler has been called, the request counts as handled even if the
//! client hangs up and the server drops the request's future — an armed ticket dropped
//! unrecorded leaves the request in flight until the guard's lease ends, so the same signed
//! request sent again cannot run the handler a second time. A ticket dropped before it was
//! armed (the handler never ran) forgets the request, so Twilio's retry gets through; so does
//! a recorded 5xx.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;

use crate::LOG_TARGET;
use crate::config::WebhookConfig;
use crate::explain::{Facts, Notes, explain};
use crate::form::{Form, is_form};
use crate::rejection::Rejection;
use crate::replay::{Begin, ReplayTicket, StoredResponse};
use crate::request::WebhookRequest;
use crate::url::{Origin, query_of, query_param};
use crate::validation_error::ValidationError;
use crate::validator::{SignedRequest, Verified};
use crate::webhook::{BodyKind, VerifiedWebhook};

/// How much of a rejected request's body is read and thrown away before answering.
///
/// Closing a connection while the client is still sending makes the kernel reset it, and the
/// client then sees "connection reset" or "broken pipe" instead of the 401, 405 or 413 it was
/// sent. Reading on lets an ordinary client finish sending and read the answer; the cap keeps
/// a huge body from costing more than this much reading.
pub const DRAIN_BYTES: usize = 1024 * 1024;

/// A request whose head was admitted: next, its body.
#[derive(Clone, Copy)]
pub struct Flow<'a> {
    config: &'a WebhookConfig,
    request: WebhookRequest<'a>,
}

/// What to do with a verified request.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "moved once per request, never stored: boxing would add an allocation per request"
)]
pub enum Verdict {
    /// Run the handler with this webhook: [`arm`](Ticket::arm) the ticket right before the
    /// call, [`record`](Ticket::record) the response after it.
    Handle(VerifiedWebhook, Ticket),
    /// A replay of a handled request: answer with this response, skip the handler.
    Replay(StoredResponse),
}

impl WebhookConfig {
    /// Steps 1–3 over a body stream: admit the head (draining the body if refused), read the
    /// body within the limit, verify, ask the replay guard.
    pub async fn receive<S, D, E>(
        &self,
        request: WebhookRequest<'_>,
        mut body: Pin<&mut S>,
    ) -> Result<Verdict, Rejection>
    where
        S: Stream<Item = Result<D, E>>,
        D: Buf,
    {
        let flow = match self.admit(request) {
            Ok(flow) => flow,
            Err(r) => {
                drain(body).await;
                return Err(r);
            }
        };
        let bytes = flow.read_body(body.as_mut()).await?;
        flow.verify(bytes).await
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
}

// Step 1: the head.

impl WebhookConfig {
    /// Step 1: the checks that need no body — method (405), basic auth (401),
    /// `Content-Length` over the limit (413) — so an adapter can refuse before reading.
    /// Logs a rejection.
    pub fn admit<'a>(&'a self, request: WebhookRequest<'a>) -> Result<Flow<'a>, Rejection> {
        match self.check_head(&request) {
            Ok(()) => Ok(Flow {
                config: self,
                request,
            }),
            Err(r) => {
                log_rejection(&request, &r, &Notes::default());
                Err(r)
            }
        }
    }

    /// The checks that need no body: method (405), basic auth (401), `Content-Length` over
    /// the limit (413).
    fn check_head(&self, request: &WebhookRequest<'_>) -> Result<(), Rejection> {
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
}

// Step 2: the body, within the limit.

impl Flow<'_> {
    /// How many body bytes may be read (the route's
    /// [`body_limit`](WebhookConfig::body_limit)); one more is a 413.
    pub fn body_limit(&self) -> usize {
        self.config.body_limit
    }

    /// Step 2: reads the body, refusing (413) as soon as it passes the body limit, after draining
    /// the rest; a body that cannot be read is a 400. Logs a rejection.
    pub async fn read_body<S, D, E>(&self, mut body: Pin<&mut S>) -> Result<Bytes, Rejection>
    where
        S: Stream<Item = Result<D, E>>,
        D: Buf,
    {
        let read = read_within(body.as_mut(), self.body_limit()).await;
        if read == Err(Rejection::PayloadTooLarge) {
            drain(body).await;
        }
        read.inspect_err(|r| log_rejection(&self.request, r, &Notes::default()))
    }
}

/// Reads `body` whole, 413 once it holds more than `limit` bytes. A body in one chunk is kept
/// as it came, without a copy.
async fn read_within<S, D, E>(mut body: Pin<&mut S>, limit: usize) -> Result<Bytes, Rejection>
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
{
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    let mut len = 0usize;
    while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        let mut chunk = chunk.map_err(|_| Rejection::BodyRead)?;
        len = len.saturating_add(chunk.remaining());
        if len > limit {
            return Err(Rejection::PayloadTooLarge);
        }
        let chunk = chunk.copy_to_bytes(chunk.remaining());
        match (&mut first, &mut more) {
            (None, _) => first = Some(chunk),
            (Some(head), None) => {
                let mut buf = BytesMut::with_capacity(len);
                buf.extend_from_slice(head);
                buf.extend_from_slice(&chunk);
                more = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&chunk),
        }
    }
    Ok(match (first, more) {
        (_, Some(buf)) => buf.freeze(),
        (Some(one), None) => one,
        (None, None) => Bytes::new(),
    })
}

/// Reads and discards what is left of `body`, up to [`DRAIN_BYTES`].
pub async fn drain<S, D, E>(mut body: Pin<&mut S>)
where
    S: Stream<Item = Result<D, E>>,
    D: Buf,
{
    let mut left = DRAIN_BYTES;
    while let Some(Ok(chunk)) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        match left.checked_sub(chunk.remaining()) {
            Some(rest) => left = rest,
            None => return,
        }
    }
}

// Step 3: the signature, then the replay guard.

impl Flow<'_> {
    /// Step 3: verifies `body` (read within the body limit) and asks the replay guard. A replay
    /// of a completed request gets its stored response; one still in flight gets 409; a
    /// failing store, 503. Logs the outcome.
    pub async fn verify(self, body: Bytes) -> Result<Verdict, Rejection> {
        let webhook = self.check(body)?;
        let Some(guard) = self.config.replay() else {
            return Ok(Verdict::Handle(webhook, Ticket { replay: None }));
        };
        let fp = webhook.fingerprint();
        let outcome = match guard.begin(&fp).await {
            Ok(Begin::Fresh) => {
                let replay = Some(ReplayTicket::new(guard.clone(), fp));
                return Ok(Verdict::Handle(webhook, Ticket { replay }));
            }
            Ok(Begin::InFlight) => Err(Rejection::ReplayInFlight),
            Ok(Begin::Done(stored)) => Ok(Verdict::Replay(stored)),
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, outcome = "rejected", reason = %e, "replay store failed");
                return Err(Rejection::ReplayUnavailable);
            }
        };
        let verified = webhook.verified();
        tracing::info!(
            target: LOG_TARGET,
            outcome = if outcome.is_ok() { "replayed" } else { "in_flight" },
            account_sid = verified.account(),
            key = verified.key(),
            "Twilio webhook repeated: handler skipped"
        );
        outcome
    }

    /// The body checks and the signature, logged; no replay guard.
    fn check(&self, body: Bytes) -> Result<VerifiedWebhook, Rejection> {
        let mut notes = Notes::default();
        match self.config.check_body(&self.request, body, &mut notes) {
            Ok(webhook) => {
                log_accepted(&self.request, &webhook);
                Ok(webhook)
            }
            Err(r) => {
                log_rejection(&self.request, &r, &notes);
                Err(r)
            }
        }
    }
}

/// Step 3's checks, in the order they run.
impl WebhookConfig {
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

// Step 4: the handler's response.

/// The replay mark of a request whose handler is about to run (none when the route has no
/// replay guard); see the [module docs](self) for why it is armed.
#[derive(Debug)]
pub struct Ticket {
    replay: Option<ReplayTicket>,
}

impl Ticket {
    /// Whether the response must be [recorded](Ticket::record), and so buffered whole. Without
    /// a replay guard the handler's response can stream through untouched.
    pub fn records(&self) -> bool {
        self.replay.is_some()
    }

    /// Marks the handler as called: from now on, dropping the ticket keeps the request in
    /// flight (until the guard's lease ends) instead of forgetting it.
    pub fn arm(&mut self) {
        if let Some(replay) = &mut self.replay {
            replay.keep_on_drop();
        }
    }

    /// Step 4: stores the handler's response for replays (`body` is shared, not copied: pass
    /// a clone of the bytes the response is sent with); a 5xx is forgotten instead, so
    /// Twilio's retry runs the handler again.
    pub async fn record(self, status: u16, content_type: Option<&str>, body: Bytes) {
        let Some(replay) = self.replay else { return };
        let stored = StoredResponse::new(status, content_type, body);
        if let Err(e) = replay.finish(stored).await {
            tracing::warn!(target: LOG_TARGET, reason = %e, "could not store the response for replays");
        }
    }

    /// The handler failed without a response (an error, or a response body that broke):
    /// forgets the request, as for a 5xx. The adapter answers
    /// [`Rejection::ResponseFailed`].
    pub async fn fail(self) {
        let Some(replay) = self.replay else { return };
        if let Err(e) = replay.abort().await {
            tracing::warn!(target: LOG_TARGET, reason = %e, "could not forget a failed request");
        }
    }
}

/// A response the flow gives by itself — a rejection, or a replay's stored response — in
/// no framework's types: each adapter translates it in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// The one further header a rejection needs (`Allow`, `WWW-Authenticate`), if any.
    pub header: Option<(&'static str, &'a str)>,
    /// The body.
    pub body: Bytes,
}

impl<'a> From<&'a Rejection> for Answer<'a> {
    fn from(rejection: &'a Rejection) -> Self {
        Answer {
            status: rejection.status(),
            content_type: Some(Rejection::CONTENT_TYPE),
            header: rejection.header(),
            body: Bytes::from_static(rejection.body().as_bytes()),
        }
    }
}

impl<'a> From<&'a StoredResponse> for Answer<'a> {
    fn from(stored: &'a StoredResponse) -> Self {
        Answer {
            status: stored.status(),
            content_type: stored.content_type(),
            header: None,
            body: stored.body_bytes(),
        }
    }
}

impl<'a> Answer<'a> {
    /// The headers to send: `Content-Type`, then the rejection's own, if any.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'a str)> + use<'a> {
        let content_type = self.content_type.map(|c| ("content-type", c));
        content_type.into_iter().chain(self.header)
    }
}

fn log_accepted(request: &WebhookRequest<'_>, webhook: &VerifiedWebhook) {
    let v = webhook.verified();
    tracing::debug!(
        target: LOG_TARGET,
        outcome = "accepted",
        method = request.method(),
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
        method = request.method(),
        path = request.path(),
        account_sid = notes.account.as_deref(),
        explanation = notes.explanation.as_deref(),
        "Twilio webhook rejected"
    );
}

#[cfg(test)]
mod tests;
