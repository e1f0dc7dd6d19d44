//! The request body the service gets (with a whole-body deadline) and the response body
//! wrapper ([`TrackedBody`]) that tells the connection's clock when the answer is out and
//! ends a stream when its lifetime is up.
//!
//! tower-http's `RequestBodyTimeoutLayer` restarts its timer on every frame, so a client
//! sending one byte per interval is never cut off; a deadline for the whole body is what
//! bounds the time a slow client holds a connection.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::clock::Clock;
use crate::stream::{Admission, StreamSlot};

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The client did not send the whole body within [`Limits::body_timeout`](crate::Limits).
    #[error("request body not received in time")]
    TimedOut,
    /// The connection failed or the client sent a malformed body.
    #[error(transparent)]
    Hyper(#[from] hyper::Error),
}

/// A request body that fails with [`BodyError::TimedOut`] once its deadline has passed.
#[derive(Debug)]
pub struct RequestBody {
    inner: Incoming,
    /// Absent for bodies already complete (none, or empty).
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    clock: Arc<Clock>,
}

impl RequestBody {
    pub(crate) fn new(inner: Incoming, timeout: Duration, clock: Arc<Clock>) -> Self {
        let deadline = (!inner.is_end_stream()).then(|| Box::pin(tokio::time::sleep(timeout)));
        Self {
            inner,
            deadline,
            clock,
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(BodyError::from)));
        }
        let Some(deadline) = self.deadline.as_mut() else {
            return Poll::Pending;
        };
        if deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.deadline = None;
        self.clock.body_stalled();
        Poll::Ready(Some(Err(BodyError::TimedOut)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Marks a request in flight from its head until its response body is finished or dropped.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Clock>);

impl InFlight {
    pub(crate) fn begin(clock: Arc<Clock>) -> Self {
        clock.request_began();
        Self(clock)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

/// The response body sent: the service's (holding the request's [`InFlight`] mark, and a
/// stream's slot until its lifetime ends), or the server's own fixed answer.
#[derive(Debug)]
pub(crate) struct TrackedBody<B> {
    inner: Inner<B>,
    stream: Option<Lifetime>,
    _in_flight: InFlight,
}

#[derive(Debug)]
enum Inner<B> {
    Service(B),
    /// The server's own answer (a refused stream), sent once.
    Fixed(Option<Bytes>),
}

/// An admitted stream: its slot, and when it ends.
#[derive(Debug)]
struct Lifetime {
    ends: Pin<Box<tokio::time::Sleep>>,
    _slot: StreamSlot,
}

impl<B> TrackedBody<B> {
    /// `response` (the service's) with its body tracked as `admission` says: as it is, as a
    /// stream with a lifetime, or replaced by the refusal.
    pub(crate) fn track(
        response: Response<B>,
        admission: Admission,
        in_flight: InFlight,
    ) -> Response<Self> {
        match admission {
            Admission::Plain => response.map(|body| Self::new(body, in_flight)),
            Admission::Stream { slot, lifetime } => {
                response.map(|body| Self::stream(body, in_flight, slot, lifetime))
            }
            Admission::Refused(refusal) => refusal.map(|body| Self::fixed(body, in_flight)),
        }
    }

    fn new(inner: B, in_flight: InFlight) -> Self {
        Self {
            inner: Inner::Service(inner),
            stream: None,
            _in_flight: in_flight,
        }
    }

    /// A stream's body: it ends (cleanly: the client sees the stream close) after `lifetime`.
    fn stream(inner: B, in_flight: InFlight, slot: StreamSlot, lifetime: Duration) -> Self {
        Self {
            stream: Some(Lifetime {
                ends: Box::pin(tokio::time::sleep(lifetime)),
                _slot: slot,
            }),
            ..Self::new(inner, in_flight)
        }
    }

    fn fixed(body: Bytes, in_flight: InFlight) -> Self {
        Self {
            inner: Inner::Fixed(Some(body)),
            stream: None,
            _in_flight: in_flight,
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for TrackedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(life) = self.stream.as_mut()
            && life.ends.as_mut().poll(cx).is_ready()
        {
            // Lived its time: end the body and give the slot back.
            self.stream = None;
            self.inner = Inner::Fixed(None);
            return Poll::Ready(None);
        }
        match &mut self.inner {
            Inner::Service(inner) => Pin::new(inner).poll_frame(cx),
            Inner::Fixed(body) => Poll::Ready(body.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Service(inner) => inner.is_end_stream(),
            Inner::Fixed(body) => body.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Service(inner) => inner.size_hint(),
            Inner::Fixed(body) => SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}
