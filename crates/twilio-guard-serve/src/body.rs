//! The request body the service gets (with a whole-body deadline) and the response body
//! wrapper ([`TrackedBody`]) that tells the connection's clock when the answer is out.
//!
//! tower-http's `RequestBodyTimeoutLayer` restarts its timer on every frame, so a client
//! sending one byte per interval is never cut off; a deadline for the whole body is what
//! bounds the time a slow client holds a connection.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::clock::Clock;

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

/// The service's response body, holding the request's [`InFlight`] mark.
#[derive(Debug)]
pub(crate) struct TrackedBody<B> {
    inner: B,
    _in_flight: InFlight,
}

impl<B> TrackedBody<B> {
    pub(crate) fn new(inner: B, in_flight: InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl<B: Body + Unpin> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
