//! The one webhook flow: every adapter (tower, actix, the proxy, a hand-written server)
//! drives a request through these steps, and only translates bodies and responses.
//!
//! 1. [`WebhookConfig::admit`] checks the head — method (405), basic auth (401),
//!    `Content-Length` over the limit (413) — and opens a [`Flow`] whose
//!    [`budget`](Flow::budget) is how much body may be read.
//! 2. [`Flow::read_body`] reads the body within the budget (413 beyond it). A rejected
//!    request's body is [drained](drain) before the answer, so the client reads its 401, 405
//!    or 413 instead of a reset connection.
//! 3. [`Flow::verify`] checks the signature and asks the replay guard: a [`Verdict`] —
//!    [`Handle`](Verdict::Handle) the [`VerifiedWebhook`] with its [`Ticket`], or answer a
//!    [`Replay`](Verdict::Replay) with the stored response; a request still in flight is a
//!    409.
//! 4. [`Ticket::arm`] just before calling the handler, then [`Ticket::record`] its response
//!    (or [`Ticket::fail`] when there is none).
//!
//! [`WebhookConfig::receive`] runs steps 1–3 over a body stream.
//!
//! Why arm: once the handler has been called, the request counts as handled even if the
//! client hangs up and the server drops the request's future — an armed ticket dropped
//! unrecorded leaves the request in flight until the guard's lease ends, so the same signed
//! request sent again cannot run the handler a second time. A ticket dropped before it was
//! armed (the handler never ran) forgets the request, so Twilio's retry gets through; so does
//! a recorded 5xx.

use std::future::poll_fn;
use std::pin::Pin;

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;

use crate::LOG_TARGET;
use crate::config::WebhookConfig;
use crate::explain::Notes;
use crate::rejection::Rejection;
use crate::replay::{Begin, ReplayTicket, StoredResponse};
use crate::request::WebhookRequest;
use crate::webhook::VerifiedWebhook;

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
pub enum Verdict {
    /// Run the handler with this webhook: [`arm`](Ticket::arm) the ticket right before the
    /// call, [`record`](Ticket::record) the response after it.
    Handle(VerifiedWebhook, Ticket),
    /// A replay of a handled request: answer with this response, skip the handler.
    Replay(StoredResponse),
}

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
}

impl<'a> Flow<'a> {
    /// How many body bytes may be read; one more is a 413.
    pub fn budget(&self) -> usize {
        self.config.max_body()
    }

    /// Step 2: reads the body, refusing (413) as soon as it passes the budget, after draining
    /// the rest; a body that cannot be read is a 400. Logs a rejection.
    pub async fn read_body<S, D, E>(&self, mut body: Pin<&mut S>) -> Result<Bytes, Rejection>
    where
        S: Stream<Item = Result<D, E>>,
        D: Buf,
    {
        let read = read_within(body.as_mut(), self.budget()).await;
        if read == Err(Rejection::PayloadTooLarge) {
            drain(body).await;
        }
        read.inspect_err(|r| log_rejection(&self.request, r, &Notes::default()))
    }

    /// Step 3: verifies `body` (read within the budget) and asks the replay guard. A replay
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
    pub(crate) fn check(&self, body: Bytes) -> Result<VerifiedWebhook, Rejection> {
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
            body: Bytes::copy_from_slice(stored.body()),
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

    /// Step 4: stores the handler's response for replays; a 5xx is forgotten instead, so
    /// Twilio's retry runs the handler again.
    pub async fn record(self, status: u16, content_type: Option<&str>, body: &[u8]) {
        let Some(replay) = self.replay else { return };
        let stored = StoredResponse::new(status, content_type, body.to_vec());
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
